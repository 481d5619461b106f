namespace GraNet.Inference;

/// <summary>
/// A sparse matrix in compressed sparse row form: the non-zero values of row <c>r</c> are
/// <c>Values[RowStarts[r]..RowStarts[r + 1]]</c>, in the columns <c>Columns[…]</c>.
/// </summary>
public sealed class CsrMatrix
{
    private CsrMatrix(int rows, int columns, int[] rowStarts, int[] columnIndices, float[] values)
    {
        Rows = rows;
        Columns = columns;
        RowStarts = rowStarts;
        ColumnIndices = columnIndices;
        Values = values;
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary><c>Rows + 1</c> offsets into <see cref="ColumnIndices"/> and <see cref="Values"/>.</summary>
    public int[] RowStarts { get; }

    public int[] ColumnIndices { get; }

    public float[] Values { get; }

    public int NonZero => Values.Length;

    public double Density => (double)NonZero / ((long)Rows * Columns);

    /// <summary>Builds the CSR form of a row-major dense matrix, keeping its non-zero entries.</summary>
    public static CsrMatrix FromDense(ReadOnlySpan<float> dense, int rows, int columns)
    {
        if (dense.Length != (long)rows * columns)
        {
            throw new ArgumentException($"{dense.Length} values do not make a {rows}x{columns} matrix.", nameof(dense));
        }
        var starts = new int[rows + 1];
        var indices = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            var row = dense.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                if (row[c] != 0)
                {
                    indices.Add(c);
                    values.Add(row[c]);
                }
            }
            starts[r + 1] = values.Count;
        }
        return new CsrMatrix(rows, columns, starts, [.. indices], [.. values]);
    }
}
