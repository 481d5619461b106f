using System.Numerics;
using System.Runtime.InteropServices;

namespace GraNet.Inference;

/// <summary>
/// Sparse × dense products for inference. Activations are kept feature-major
/// (<c>[features, batch]</c>), so that each non-zero weight scales one contiguous row of the
/// input and the inner loop runs over the batch with <see cref="Vector{T}"/>.
/// </summary>
public static class SparseKernels
{
    /// <summary>
    /// <c>output[o, :] = bias[o] + Σ_k W[o, k] · input[k, :]</c> for a CSR weight <c>W</c>
    /// (<c>[outFeatures, inFeatures]</c>), feature-major <paramref name="input"/>
    /// (<c>[inFeatures, batch]</c>) and <paramref name="output"/> (<c>[outFeatures, batch]</c>).
    /// Rows are split over threads when <paramref name="parallel"/> is set.
    /// </summary>
    public static void Multiply(CsrMatrix weight, ReadOnlySpan<float> bias, float[] input, float[] output, int batch, bool parallel = false)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (input.Length < (long)weight.Columns * batch || output.Length < (long)weight.Rows * batch)
        {
            throw new ArgumentException($"Buffers too small for a {weight.Rows}x{weight.Columns} matrix and batch {batch}.");
        }
        if (bias.Length != 0 && bias.Length != weight.Rows)
        {
            throw new ArgumentException($"{bias.Length} biases for {weight.Rows} rows.", nameof(bias));
        }
        float[] biasArray = bias.ToArray();
        if (parallel && weight.Rows >= 64)
        {
            int chunks = Environment.ProcessorCount * 4;
            int per = (weight.Rows + chunks - 1) / chunks;
            Parallel.For(0, chunks, chunk => Rows(weight, biasArray, input, output, batch, chunk * per, Math.Min(weight.Rows, (chunk + 1) * per)));
            return;
        }
        Rows(weight, biasArray, input, output, batch, 0, weight.Rows);
    }

    private static void Rows(CsrMatrix weight, float[] bias, float[] input, float[] output, int batch, int first, int last)
    {
        int width = Vector<float>.Count;
        int vectorEnd = batch - (batch % width);
        for (int row = first; row < last; row++)
        {
            var target = output.AsSpan(row * batch, batch);
            target.Fill(bias.Length == 0 ? 0 : bias[row]);
            var targetVectors = MemoryMarshal.Cast<float, Vector<float>>(target[..vectorEnd]);
            for (int k = weight.RowStarts[row]; k < weight.RowStarts[row + 1]; k++)
            {
                float w = weight.Values[k];
                var source = input.AsSpan(weight.ColumnIndices[k] * batch, batch);
                var sourceVectors = MemoryMarshal.Cast<float, Vector<float>>(source[..vectorEnd]);
                var scale = new Vector<float>(w);
                for (int v = 0; v < targetVectors.Length; v++)
                {
                    targetVectors[v] += scale * sourceVectors[v];
                }
                for (int b = vectorEnd; b < batch; b++)
                {
                    target[b] += w * source[b];
                }
            }
        }
    }

    /// <summary><c>max(x, 0)</c> in place.</summary>
    public static void Relu(Span<float> values)
    {
        int width = Vector<float>.Count;
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        for (int v = 0; v < vectors.Length; v++)
        {
            vectors[v] = Vector.Max(vectors[v], Vector<float>.Zero);
        }
        for (int i = vectors.Length * width; i < values.Length; i++)
        {
            values[i] = Math.Max(values[i], 0);
        }
    }

    /// <summary>Transposes a row-major <c>[rows, columns]</c> matrix into <paramref name="output"/> (<c>[columns, rows]</c>).</summary>
    public static void Transpose(ReadOnlySpan<float> input, int rows, int columns, Span<float> output)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                output[(c * rows) + r] = input[(r * columns) + c];
            }
        }
    }
}
