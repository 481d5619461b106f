// Trains LeNet-5-Caffe for a few steps on the first Fashion-MNIST batches (in file order) with our
// library and writes what PyTorch needs to repeat the run (reference.py): the initial weights, the
// raw pixels and labels, our per-step losses and final weights.
//
// usage: dotnet run --project tools/GraNet.ReferenceCheck -c Release -- STEPS dense|gmp|rigl OUTPUT_DIR [SEED]
//   gmp: global magnitude pruning from density 1 to 0.05, an event every 10 steps up to step 100.
//   rigl: RigL at density 0.05 (ERK), drop and grow every 10 steps at the cosine rate over 300 steps (r_0 0.5), never stopping;
//         the initial masks are written too (mask_NAME.bin, one byte per entry).
using GraNet.Data;
using GraNet.Models;
using GraNet.Runtime;
using GraNet.Sparsity;
using GraNet.Training.Optimizers;
using static TorchSharp.torch;

int seed = 17;
if (args.Length < 3 || !int.TryParse(args[0], out int steps) || steps < 1 || args[1] is not ("dense" or "gmp" or "rigl")
    || (args.Length > 3 && !int.TryParse(args[3], System.Globalization.CultureInfo.InvariantCulture, out seed)))
{
    Console.Error.WriteLine("usage: GraNet.ReferenceCheck STEPS dense|gmp|rigl OUTPUT_DIR [SEED]");
    return 2;
}

string mode = args[1], output = args[2];
const int Batch = 128, Pixels = 28 * 28;
Directory.CreateDirectory(output);
TorchRuntime.Configure(1);
manual_seed(seed);
using var model = new LeNet5Caffe(new ImageShape(1, 28, 28), 10);

ImageDataset train;
try
{
    (train, _) = DatasetLoader.Load(DatasetCatalog.FashionMnist, null);
}
catch (DataException e)
{
    Console.Error.WriteLine($"GraNet.ReferenceCheck: {e.Message}");
    return 3;
}

if ((long)steps * Batch > train.Count)
{
    Console.Error.WriteLine($"GraNet.ReferenceCheck: STEPS {steps} needs {(long)steps * Batch} training images, the data set has {train.Count}; give at most {train.Count / Batch}.");
    return 2;
}

File.WriteAllBytes(Path.Combine(output, "pixels.bin"), train.Pixels.AsSpan(0, steps * Batch * Pixels).ToArray());
File.WriteAllBytes(Path.Combine(output, "labels.bin"), train.Labels.AsSpan(0, steps * Batch).ToArray());
var lookup = new float[256];
for (int v = 0; v < 256; v++)
{
    lookup[v] = ((v / 255f) - 0.2860f) / 0.3530f;
}

using var optimizer = new ScalarSafeSgd(model.parameters(), 0.1, 0.9, 0, 5e-4, true);
var options = mode == "rigl"
    ? new SparsityOptions { Method = SparsityMethodKind.RigL, FinalDensity = 0.05, UpdateInterval = 10, RigLStopFraction = 1 }
    : new SparsityOptions { Method = SparsityMethodKind.Gmp, InitDensity = 1, FinalDensity = 0.05, UpdateInterval = 10, PruneStartEpoch = 0, PruneEndEpoch = 1 };
using var controller = mode == "dense" ? null : SparsityController.Create(model, optimizer, options, 100, 3, [1, 28, 28], seed: seed);
// After Create, which masks the weights of a sparse start (gmp starts dense: the weights are as initialised).
foreach (var (name, p) in model.named_parameters())
{
    File.WriteAllBytes(Path.Combine(output, $"init_{name}.bin"), p.detach().contiguous().bytes.ToArray());
}
foreach (var layer in controller?.Masks.Layers ?? [])
{
    File.WriteAllBytes(Path.Combine(output, $"mask_{layer.Name}.bin"), layer.Mask.contiguous().bytes.ToArray());
}

var losses = new List<string>();
for (int step = 0; step < steps; step++)
{
    using var scope = NewDisposeScope();
    var images = new float[Batch * Pixels];
    for (int i = 0; i < images.Length; i++)
    {
        images[i] = lookup[train.Pixels[(step * Batch * Pixels) + i]];
    }
    var labels = train.Labels.AsSpan(step * Batch, Batch).ToArray().Select(l => (long)l).ToArray();
    var x = tensor(images, [Batch, 1, 28, 28]);
    var y = tensor(labels, [Batch]);
    optimizer.zero_grad();
    var loss = nn.functional.cross_entropy(model.call(x), y);
    loss.backward();
    optimizer.step();
    controller?.AfterOptimizerStep(step + 1);
    losses.Add(loss.item<float>().ToString("R", System.Globalization.CultureInfo.InvariantCulture));
}

File.WriteAllLines(Path.Combine(output, $"losses_{mode}.txt"), losses);
var (deadConv2, deadFc3) = DeadUnits(model, train, lookup, Math.Min(steps, 16) * Batch);
File.WriteAllText(Path.Combine(output, $"dead_{mode}.txt"), $"{deadConv2} {deadFc3}");
foreach (var (name, p) in model.named_parameters())
{
    File.WriteAllBytes(Path.Combine(output, $"final_{mode}_{name}.bin"), p.detach().contiguous().bytes.ToArray());
}
Console.WriteLine($"{mode}: {steps} steps, last loss {losses[^1]}, dead units conv2 {deadConv2}/50, fc3 {deadFc3}/500; written to {output}");
return 0;

// ReLU units that output 0 for every one of the first images (conv2: channels, after the ReLU).
static (long Conv2, long Fc3) DeadUnits(LeNet5Caffe model, ImageDataset data, float[] lookup, int images)
{
    using var scope = NewDisposeScope();
    using var guard = no_grad();
    var x = tensor(data.Pixels.AsSpan(0, images * 784).ToArray().Select(p => lookup[p]).ToArray(), [images, 1, 28, 28]);
    var p = model.named_parameters().ToDictionary(e => e.name, e => e.parameter);
    var conv1 = nn.functional.max_pool2d(nn.functional.relu(nn.functional.conv2d(x, p["conv1.weight"], p["conv1.bias"])), 2);
    var conv2 = nn.functional.relu(nn.functional.conv2d(conv1, p["conv2.weight"], p["conv2.bias"]));
    var fc3 = nn.functional.relu(nn.functional.linear(nn.functional.max_pool2d(conv2, 2).flatten(1), p["fc3.weight"], p["fc3.bias"]));
    return (conv2.amax([0, 2, 3]).eq(HeldScalars.Zero).sum().item<long>(), fc3.amax([0]).eq(HeldScalars.Zero).sum().item<long>());
}
