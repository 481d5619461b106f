using GraNet.Inference;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Inference;

public class SparseKernelTests
{
    [Fact]
    public void Csr_keeps_the_non_zero_entries_row_by_row()
    {
        // [[0, 2, 0], [0, 0, 0], [3, 0, 4]]
        var csr = CsrMatrix.FromDense([0, 2, 0, 0, 0, 0, 3, 0, 4], 3, 3);
        Assert.Equal([0, 1, 1, 3], csr.RowStarts);
        Assert.Equal([1, 0, 2], csr.ColumnIndices);
        Assert.Equal([2f, 3f, 4f], csr.Values);
        Assert.Equal(3.0 / 9, csr.Density, 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(19)]
    [InlineData(64)]
    [InlineData(101)]
    public void Multiply_computes_bias_plus_weight_times_input_for_any_column_count(int columns)
    {
        // W = [[0, 2, 0], [1, 0, -1]], bias = [0.5, -1]; input [3, columns] with x[k, b] = k + b.
        var csr = CsrMatrix.FromDense([0, 2, 0, 1, 0, -1], 2, 3);
        var input = new float[3 * columns];
        for (int k = 0; k < 3; k++)
        {
            for (int b = 0; b < columns; b++)
            {
                input[(k * columns) + b] = k + b;
            }
        }
        var output = new float[2 * columns];
        SparseKernels.Multiply(csr, [0.5f, -1f], input, output, columns, 0, 2);
        var rectified = new float[2 * columns];
        SparseKernels.Multiply(csr, [0.5f, -1f], input, rectified, columns, 0, 2, relu: true);
        for (int b = 0; b < columns; b++)
        {
            Assert.Equal(0.5f + (2 * (1 + b)), output[b]);            // 0.5 + 2 x[1, b]
            Assert.Equal(-3f, output[columns + b]);                   // -1 + x[0, b] - x[2, b] = -1 + b - (2 + b)
            Assert.Equal(output[b], rectified[b]);
            Assert.Equal(0f, rectified[columns + b]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Multiply_matches_a_dense_product_on_random_sparse_matrices(int threads)
    {
        var random = new Random(4);
        int rows = 37, inner = 53, columns = 77;
        var dense = new float[rows * inner];
        for (int i = 0; i < dense.Length; i++)
        {
            dense[i] = random.NextDouble() < 0.1 ? (float)((random.NextDouble() * 2) - 1) : 0;
        }
        var input = Enumerable.Range(0, inner * columns).Select(_ => (float)random.NextDouble()).ToArray();
        var bias = Enumerable.Range(0, rows).Select(r => r * 0.01f).ToArray();
        var csr = CsrMatrix.FromDense(dense, rows, inner);
        var output = new float[rows * columns];
        SparseKernels.ForRowBlocks(rows, threads, (first, last) => SparseKernels.Multiply(csr, bias, input, output, columns, first, last));
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double expected = bias[r];
                for (int k = 0; k < inner; k++)
                {
                    expected += dense[(r * inner) + k] * input[(k * columns) + c];
                }
                Assert.Equal(expected, output[(r * columns) + c], 1e-4);
            }
        }
    }

    [Theory]
    [InlineData(100, 16)]
    [InlineData(11, 5)]
    [InlineData(20, 8)]
    [InlineData(3, 4)]
    public void Row_blocks_cover_every_row_once_and_are_never_empty(int rows, int threads)
    {
        var seen = new int[rows];
        SparseKernels.ForRowBlocks(rows, threads, (first, last) =>
        {
            Assert.True(first < last, $"empty block {first}..{last}");
            for (int r = first; r < last; r++)
            {
                Interlocked.Increment(ref seen[r]);
            }
        });
        Assert.All(seen, count => Assert.Equal(1, count));
    }

    [Theory]
    [InlineData(64, 784)]
    [InlineData(13, 29)]
    [InlineData(8, 8)]
    [InlineData(1, 5)]
    [InlineData(16, 3)]
    public void Transpose_moves_every_entry_including_the_edges_of_the_8x8_blocks(int rows, int columns)
    {
        var input = Enumerable.Range(0, rows * columns).Select(i => (float)i).ToArray();
        var output = new float[rows * columns];
        SparseKernels.Transpose(input, rows, columns, output);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                Assert.Equal(input[(r * columns) + c], output[(c * rows) + r]);
            }
        }
    }

    [Fact]
    public void Convolve_adds_each_non_zero_filter_tap_over_its_shifted_window()
    {
        // One 3x3 image x[y, x] = 3y + x, a 2x2 filter [[1, 0], [0, -1]], bias 10:
        // out[y, x] = 10 + x[y, x] - x[y + 1, x + 1] = 10 - 4 = 6 everywhere.
        var csr = CsrMatrix.FromDense([1, 0, 0, -1], 1, 4);
        float[] image = [0, 1, 2, 3, 4, 5, 6, 7, 8];
        var output = new float[4];
        SparseKernels.Convolve(csr, [10f], image, output, new ConvolutionShape(1, 3, 3, 2, 2), 0, 1);
        Assert.Equal([6f, 6f, 6f, 6f], output);
    }

    [Theory]
    [InlineData(30)] // 28 outputs per row, not a whole number of vectors: the plane as one flat range
    [InlineData(34)] // 32 outputs per row: whole vectors per row
    [InlineData(9)] // 7 per row: less than a vector
    public void Convolve_matches_libtorch_conv2d_on_random_sparse_filters(int imageWidth)
    {
        manual_seed(3);
        using var images = randn(3, 4, 21, imageWidth);
        using var dense = randn(6, 4, 5, 3);
        using Scalar density = 0.2.ToScalar();
        using var uniform = rand(6, 4, 5, 3);
        using var keep = uniform.lt(density);
        using var filters = dense * keep;
        using var bias = randn(6);
        using var expected = nn.functional.conv2d(images, filters, bias);
        var csr = CsrMatrix.FromDense(filters.data<float>().ToArray(), 6, 4 * 5 * 3);
        var output = new float[expected.NumberOfElements];
        SparseKernels.Convolve(csr, bias.data<float>().ToArray(), images.data<float>().ToArray(), output, new ConvolutionShape(4, 21, imageWidth, 5, 3), 0, 3);
        float[] reference = expected.data<float>().ToArray();
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.Equal(reference[i], output[i], 1e-4);
        }
    }

    [Fact]
    public void MaxPool2_takes_the_largest_of_each_2x2_window_and_drops_an_odd_edge()
    {
        // A 3x5 plane: the last row and column are outside every window.
        float[] plane =
        [
            1, -2, -5, -6, 99,
            3, 4, -7, -8, 99,
            99, 99, 99, 99, 99,
        ];
        var pooled = new float[2];
        SparseKernels.MaxPool2(plane, 1, 3, 5, pooled, relu: false);
        Assert.Equal([4f, -5f], pooled);
        SparseKernels.MaxPool2(plane, 1, 3, 5, pooled, relu: true);
        Assert.Equal([4f, 0f], pooled);
    }
}
