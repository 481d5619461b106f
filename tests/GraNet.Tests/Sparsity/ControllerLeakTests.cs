using GraNet.Sparsity;
using GraNet.Training.Optimizers;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// Native memory: every tensor a step or a mask update makes is freed by it. Counted with TorchSharp's count of live tensor
/// objects (the suite runs its tests one at a time, and a finalizer can only lower the count).
/// </summary>
public class ControllerLeakTests
{
    private const int StepsPerEpoch = 10;
    private const int Epochs = 6;

    public static TheoryData<SparsityMethodKind, bool> Methods() => new()
    {
        { SparsityMethodKind.GraNet, false },
        { SparsityMethodKind.GraNet, true },
        { SparsityMethodKind.GraNetUniform, false },
        { SparsityMethodKind.Gmp, false },
        { SparsityMethodKind.RigL, false },
        { SparsityMethodKind.Set, false },
        { SparsityMethodKind.Snfs, false },
        { SparsityMethodKind.Snfs, true },
        { SparsityMethodKind.Static, false },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Steps_and_mask_updates_leave_no_tensor_behind(SparsityMethodKind method, bool adam)
    {
        // Steps 1-10 make what lives as long as the run (optimizer state, SNFS's momentum copy); steps 11-60 then hold
        // 5 pruning events (GMP and GraNet prune until epoch 3) or 25 regenerations (ΔT 2), and must end with as many
        // live tensors as they began with, without a collection: the controller runs outside the step's dispose scope, so
        // it must dispose what it makes itself (gradients read through new tensor objects were left to the finalizer).
        bool prunes = method is SparsityMethodKind.GraNet or SparsityMethodKind.GraNetUniform or SparsityMethodKind.Gmp;
        var options = new SparsityOptions
        {
            Method = method,
            InitDensity = prunes ? 0.8 : 0.3,
            FinalDensity = 0.3,
            UpdateInterval = 2,
            PruneStartEpoch = prunes ? 0 : new SparsityOptions().PruneStartEpoch,
            PruneEndEpoch = prunes ? 3 : new SparsityOptions().PruneEndEpoch,
            RigLStopFraction = method == SparsityMethodKind.RigL ? 1 : new SparsityOptions().RigLStopFraction,
            ClassifierRule = method == SparsityMethodKind.GraNetUniform ? false : new SparsityOptions().ClassifierRule,
        };
        using var model = TinyNets.SeededMlp();
        using OptimizerHelper optimizer = adam ? new ScalarSafeAdam(model.parameters(), 0.01) : new ScalarSafeSgd(model.parameters(), 0.05, 0.9, 0, 5e-4, true);
        int updates = 0;
        using var controller = SparsityController.Create(model, optimizer, options, StepsPerEpoch, Epochs, [10], seed: 4, maskUpdated: _ => updates++);
        long before = 0;
        for (int step = 1; step <= StepsPerEpoch * Epochs; step++)
        {
            using (NewDisposeScope())
            {
                TinyNets.SeededStep(model, optimizer, step);
            }
            controller.AfterOptimizerStep(step);
            if (step == 10)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                before = Tensor.TotalCount;
                updates = 0;
            }
        }
        long after = Tensor.TotalCount;
        Assert.True(updates >= (method == SparsityMethodKind.Static ? 0 : 5), $"{updates} mask updates in steps 11-60");
        Assert.True(after <= before, $"{after - before} tensors outlived steps 11-60 and their {updates} mask updates");
    }
}
