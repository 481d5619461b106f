using System.Reflection;
using GraNet.Sparsity;
using GraNet.Sparsity.Masks;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GraNet.Tests.Sparsity;

/// <summary>
/// Every TorchSharp optimizer's per-weight state is masked: zero at inactive positions after every
/// step, and zero at regrown positions; optimizers whose state cannot be masked are refused up front.
/// </summary>
public class OptimizerStateMaskingTests
{
    private const int StepsPerEpoch = 4;
    private const int Epochs = 5;

    private static readonly SparsityOptions GraNet = new()
    {
        Method = SparsityMethodKind.GraNet, InitDensity = 0.5, FinalDensity = 0.2, UpdateInterval = 2, PruneStartEpoch = 0, PruneEndEpoch = 3,
    };

#pragma warning disable GRANET002 // TorchSharp's own optimizers are what these tests are about
    private static OptimizerHelper Create(string name, IEnumerable<Parameter> parameters) => name switch
    {
        "SGD" => optim.SGD(parameters, 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 5e-4),
        "Adam" => optim.Adam(parameters, 0.01, weight_decay: 5e-4, amsgrad: true),
        "AdamW" => optim.AdamW(parameters, 0.01, weight_decay: 0.1, amsgrad: true),
        "Adamax" => optim.Adamax(parameters, 0.01, weight_decay: 5e-4),
        "NAdam" => optim.NAdam(parameters, 0.01, weight_decay: 5e-4),
        "RAdam" => optim.RAdam(parameters, 0.01, weight_decay: 5e-4),
        "RMSprop" => optim.RMSProp(parameters, 0.01, weight_decay: 5e-4, momentum: 0.5, centered: true),
        "Adagrad" => optim.Adagrad(parameters, 0.05, weight_decay: 5e-4, initial_accumulator_value: 0.1),
        "Adadelta" => optim.Adadelta(parameters, 1.0, weight_decay: 5e-4),
        "ASGD" => optim.ASGD(parameters, 0.05, weight_decay: 5e-4, t0: 3),
        "Rprop" => optim.Rprop(parameters, 0.01),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such optimizer in this test"),
    };
#pragma warning restore GRANET002

    /// <summary>
    /// TorchSharp's own step passes temporary Scalars to libtorch, which a garbage collection during the native
    /// call frees (see <see cref="GraNet.Training.Optimizers.ScalarSafeSgd"/>); no collection may start during it here.
    /// </summary>
    private static void StepWithoutCollection(OptimizerHelper optimizer)
    {
        bool held = GC.TryStartNoGCRegion(16 << 20);
        try
        {
            optimizer.step();
        }
        finally
        {
            if (held && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }
    }

    private static Sequential Mlp()
    {
        manual_seed(3);
        return nn.Sequential(("fc1", nn.Linear(16, 32)), ("relu", nn.ReLU()), ("fc2", nn.Linear(32, 4)));
    }

    /// <summary>Every tensor field of a parameter's optimizer state, found by reflection (not through the code under test), so none can be missed.</summary>
    private static List<(string Name, Tensor Value)> StateTensors(OptimizerHelper optimizer, int index)
    {
        var state = optimizer.state_dict().State[index];
        return state.GetType().GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Where(f => f.FieldType == typeof(Tensor))
            .Select(f => (f.Name, Value: (Tensor?)f.GetValue(state)))
            .Where(f => f.Value is not null && !f.Value.IsInvalid && f.Name != "_parameter")
            .Select(f => (f.Name, f.Value!))
            .ToList();
    }

    private static void AssertZeroWhere(Tensor values, Tensor positions, string what)
    {
        using var selected = values.detach().masked_select(positions);
        using var magnitude = selected.abs().sum();
        Assert.True(magnitude.item<float>() == 0, $"{what} is not 0 at {selected.numel()} positions (sum of |x| {magnitude.item<float>()})");
    }

    [Theory]
    [InlineData("SGD")]
    [InlineData("Adam")]
    [InlineData("AdamW")]
    [InlineData("Adamax")]
    [InlineData("NAdam")]
    [InlineData("RAdam")]
    [InlineData("RMSprop")]
    [InlineData("Adagrad")]
    [InlineData("Adadelta")]
    [InlineData("ASGD")]
    public void Every_state_tensor_is_zero_at_inactive_and_regrown_positions_after_every_step(string name)
    {
        using var model = Mlp();
        using var optimizer = Create(name, model.parameters());
        using var controller = SparsityController.Create(model, optimizer, GraNet, StepsPerEpoch, Epochs, [16], seed: 2);
        var generator = new Generator(9);
        int regrown = 0;
        for (long step = 1; step <= StepsPerEpoch * Epochs; step++)
        {
            using var scope = NewDisposeScope();
            var before = controller.Masks.Layers.Select(l => l.Mask.clone()).ToList();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(randn([8, 16], generator: generator)), randint(0, 4, [8], generator: generator)).backward();
            StepWithoutCollection(optimizer);
            controller.AfterOptimizerStep(step);
            for (int l = 0; l < controller.Masks.Layers.Count; l++)
            {
                var layer = controller.Masks.Layers[l];
                var inactive = layer.Mask.logical_not();
                var grown = layer.Mask.logical_and(before[l].logical_not());
                regrown += (int)grown.count_nonzero().item<long>();
                AssertZeroWhere(layer.Weight, inactive, $"step {step}: {layer.Name}");
                AssertZeroWhere(layer.Weight, grown, $"step {step}: regrown {layer.Name}");
                var states = StateTensors(optimizer, layer.OptimizerIndex);
                Assert.NotEmpty(states);
                foreach (var (field, state) in states)
                {
                    AssertZeroWhere(state, inactive, $"step {step}: {name}'s {field} of {layer.Name}");
                    AssertZeroWhere(state, grown, $"step {step}: {name}'s {field} of regrown {layer.Name}");
                }
            }
        }
        Assert.True(regrown > 0, "no position was regrown, so the test saw no regrowth");
    }

    [Fact]
    public void Rprop_is_refused_when_the_masks_are_made_naming_it_and_the_supported_optimizers()
    {
        using var model = Mlp();
        using var optimizer = Create("Rprop", model.parameters());
        var e = Assert.Throws<ArgumentException>(() => SparsityController.Create(model, optimizer, GraNet, StepsPerEpoch, Epochs, [16]));
        Assert.StartsWith("GraNet cannot mask the optimizer state of Rprop: its per-weight step sizes start at the learning rate", e.Message, StringComparison.Ordinal);
        Assert.Contains("use SGD, Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Adagrad, Adadelta and ASGD", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => OptimizerStateAccess.RequireSupported(optimizer));
    }

    [Fact]
    public void Lbfgs_whose_state_is_not_per_weight_is_refused()
    {
        using var model = Mlp();
#pragma warning disable GRANET002 // TorchSharp's own optimizer is what this test is about
        using var optimizer = optim.LBFGS(model.parameters());
#pragma warning restore GRANET002
        var e = Assert.Throws<ArgumentException>(() => OptimizerStateAccess.RequireSupported(optimizer));
        Assert.StartsWith("GraNet cannot mask the optimizer state of LBFGS: it keeps no per-parameter state", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => OptimizerStateAccess.States(optimizer));
    }

    [Fact]
    public void The_dense_method_masks_nothing_so_any_optimizer_will_do()
    {
        using var model = Mlp();
        using var optimizer = Create("Rprop", model.parameters());
        using var controller = SparsityController.Create(model, optimizer, GraNet with { Method = SparsityMethodKind.Dense }, StepsPerEpoch, Epochs, [16]);
        Assert.Equal(1, controller.Density);
    }

    /// <summary>An optimizer of its own with a state type GraNet does not know.</summary>
    private sealed class OwnOptimizer : OptimizerHelper
    {
        public OwnOptimizer(IEnumerable<Parameter> parameters)
        {
            var options = new OptimizerOptions { LearningRate = 0.1, InitialLearningRate = 0.1 };
            _defaults = options;
            _parameter_groups = [new ParamGroup { Parameters = parameters.ToList(), Options = options }];
            foreach (var p in _parameter_groups[0].Parameters)
            {
                _state[p.Handle] = new OwnState(p);
            }
        }

        public override Tensor step(Func<Tensor>? closure = null) => throw new NotSupportedException();

        private sealed class OwnState(Parameter parameter) : OptimizerState(parameter)
        {
            public Tensor Velocity { get; } = zeros_like(parameter).DetachFromDisposeScope();

            public override void SaveStateDict(BinaryWriter writer) => throw new NotSupportedException();

            public override void LoadStateDict(BinaryReader reader) => throw new NotSupportedException();

            public override void LoadStateDict(OptimizerState source) => throw new NotSupportedException();

            public override void Initialize(OptimizerOptions options)
            {
            }
        }
    }

    [Fact]
    public void An_optimizer_with_an_unknown_state_type_is_refused_when_the_masks_are_made()
    {
        using var model = Mlp();
        using var optimizer = new OwnOptimizer(model.parameters());
        var e = Assert.Throws<ArgumentException>(() => SparsityController.Create(model, optimizer, GraNet, StepsPerEpoch, Epochs, [16]));
        Assert.StartsWith("GraNet cannot mask the optimizer state of OwnOptimizer: its per-weight state GraNet.Tests.Sparsity.OptimizerStateMaskingTests+OwnOptimizer+OwnState is unknown", e.Message, StringComparison.Ordinal);
        Assert.Equal(e.Message, Assert.Throws<ArgumentException>(() => OptimizerStateAccess.RequireSupported(optimizer)).Message);
    }
}
