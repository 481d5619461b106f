using GraNet.Data;
using GraNet.Inference;
using GraNet.Models;
using GraNet.Sparsity.Criteria;
using GraNet.Sparsity.Masks;
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
    [InlineData(3)]
    [InlineData(19)]
    public void Multiply_computes_bias_plus_weight_times_input_for_any_batch(int batch)
    {
        // W = [[0, 2, 0], [1, 0, -1]], bias = [0.5, -1]; input feature-major [3, batch] with x[k, b] = k + b.
        var csr = CsrMatrix.FromDense([0, 2, 0, 1, 0, -1], 2, 3);
        var input = new float[3 * batch];
        for (int k = 0; k < 3; k++)
        {
            for (int b = 0; b < batch; b++)
            {
                input[(k * batch) + b] = k + b;
            }
        }
        var output = new float[2 * batch];
        SparseKernels.Multiply(csr, [0.5f, -1f], input, output, batch);
        for (int b = 0; b < batch; b++)
        {
            Assert.Equal(0.5f + (2 * (1 + b)), output[b]);            // 0.5 + 2 x[1, b]
            Assert.Equal(-1f + b - (2 + b), output[batch + b]);      // -1 + x[0, b] - x[2, b]
        }
        var parallel = new float[2 * batch];
        SparseKernels.Multiply(csr, [0.5f, -1f], input, parallel, batch, parallel: true);
        Assert.Equal(output, parallel);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_runner_gives_the_logits_of_the_masked_model(bool sparse)
    {
        manual_seed(6);
        using var model = ModelRegistry.Create("lenet-300-100", new ImageShape(1, 28, 28), 10);
        using (var masks = MaskSet.ForModel(model, null))
        {
            new LayerwiseMagnitudePruner(classifierRule: false).Prune(masks, 0.1);
            masks.Apply();
        }
        model.eval();
        using var runner = new LinearChainRunner((ILinearChain)model);
        runner.UseForAll(sparse);
        var random = new Random(3);
        float[] input = Enumerable.Range(0, 5 * 784).Select(_ => (float)random.NextDouble()).ToArray();
        float[] ours = runner.Forward(input, 5);
        using var guard = no_grad();
        using var x = tensor(input, [5, 1, 28, 28]);
        using var reference = model.call(x);
        float[] expected = reference.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], ours[i], 4);
        }
    }

    [Fact]
    public void Relu_clamps_negatives_including_the_tail() =>
        Assert.Equal([0f, 1f, 0f, 2f, 0f, 3f, 0f, 4f, 0f, 5f, 0f], Apply([-1f, 1f, -2f, 2f, -3f, 3f, -4f, 4f, -5f, 5f, -6f]));

    private static float[] Apply(float[] values)
    {
        SparseKernels.Relu(values);
        return values;
    }
}
