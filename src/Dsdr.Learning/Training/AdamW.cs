using System.Globalization;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Compute;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Dsdr.Learning.Training;

/// <summary>
/// AdamW with decoupled weight decay, as torch.optim.AdamW (no amsgrad, no maximize), written with tensor operations on
/// Scalars it holds: TorchSharp's own AdamW.step passes Scalars that nothing holds (<c>mul_(1 - lr * wd)</c>, …), which a
/// collection started by another trial can free while libtorch reads them (issue 19). The operations are TorchSharp's
/// and PyTorch 1.13's, in their order, so the updates are theirs bit for bit. Per parameter p with gradient g, step t:
/// </summary>
// p ← p·(1 − lr·λ);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
public sealed class AdamW : IDisposable
{
    private const string Format = "dsdr-adamw-1";
    private readonly Parameter[] parameters;
    private readonly Tensor[] firstMoments;    // m, zeros like each parameter
    private readonly Tensor[] secondMoments;   // v
    private readonly long[] steps;             // t per parameter (a parameter without a gradient is skipped)
    private readonly Scalar beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon;

    public AdamW(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0.01)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate >= 0 && double.IsFinite(learningRate))) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a finite number ≥ 0.");
        if (!(beta1 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "β₁ must be in [0, 1), e.g. 0.9.");
        if (!(beta2 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "β₂ must be in [0, 1), e.g. 0.999.");
        if (!(epsilon >= 0 && double.IsFinite(epsilon))) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a finite number ≥ 0, e.g. 1e-8.");
        if (!(weightDecay >= 0 && double.IsFinite(weightDecay))) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "The weight decay must be a finite number ≥ 0, e.g. 0.01.");
        this.parameters = parameters.ToArray();
        LearningRate = learningRate;
        (Beta1, Beta2, Epsilon, WeightDecay) = (beta1, beta2, epsilon, weightDecay);
        this.beta1 = beta1.ToScalar();
        this.beta2 = beta2.ToScalar();
        oneMinusBeta1 = (1 - beta1).ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
        this.epsilon = epsilon.ToScalar();
        using (no_grad())
        {
            firstMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            secondMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        }
        steps = new long[this.parameters.Length];
    }

    /// <summary>lr of the next <see cref="Step"/> (a schedule sets it before each step).</summary>
    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }

    /// <summary>Steps taken for each parameter, in the order given.</summary>
    public IReadOnlyList<long> Steps => steps;

    /// <summary>m and v of parameter <paramref name="index"/> (views of the optimiser's own state, for tests).</summary>
    public (Tensor First, Tensor Second) MomentsOf(int index) => (firstMoments[index], secondMoments[index]);

    /// <summary>Zeroes every gradient in place.</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var p in parameters) p.grad?.zero_();
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var decay = (1 - LearningRate * WeightDecay).ToScalar();
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var grad = parameter.grad;
            if (grad is null) continue;
            var t = ++steps[i];
            parameter.mul_(decay);
            var biasCorrection1 = 1 - Math.Pow(Beta1, t);
            var biasCorrection2 = 1 - Math.Pow(Beta2, t);
            firstMoments[i].mul_(beta1).add_(grad, oneMinusBeta1);
            secondMoments[i].mul_(beta2).addcmul_(grad, grad, oneMinusBeta2);
            using var root = Math.Sqrt(biasCorrection2).ToScalar();
            using var stepSize = (-(LearningRate / biasCorrection1)).ToScalar();
            var denominator = secondMoments[i].sqrt().div(root).add_(epsilon, Scalars.One);
            parameter.addcdiv_(firstMoments[i], denominator, stepSize);
        }
    }

    /// <summary>Writes m, v and the step counts to a safetensors file (float tensors in the parameters' dtypes).</summary>
    public void Save(string path)
    {
        using var scope = NewDisposeScope();
        var tensors = Enumerable.Range(0, parameters.Length).SelectMany(i => new[]
        {
            KeyValuePair.Create($"exp_avg.{i}", firstMoments[i]),
            KeyValuePair.Create($"exp_avg_sq.{i}", secondMoments[i]),
        });
        SafeTensors.Save(path, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["steps"] = string.Join(',', steps.Select(s => s.ToString(CultureInfo.InvariantCulture))),
        });
    }

    /// <summary>Reads what <see cref="Save"/> wrote for the same parameters into this optimiser's state.</summary>
    public void Load(string path)
    {
        using var reader = new SafeTensors.SafeTensorsReader(path);
        if (!reader.Metadata.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException($"{path} is not a Dsdr AdamW state (format {format ?? "missing"}, expected {Format}); it was written by another optimiser or version.");
        var counts = reader.Metadata.TryGetValue("steps", out var list) && list.Length > 0
            ? list.Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [];
        if (counts.Length != parameters.Length)
            throw new InvalidDataException($"{path} holds the state of {counts.Length} parameters; this model has {parameters.Length}.");
        var entries = reader.Entries.ToDictionary(e => e.Name);
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Length; i++)
        {
            Restore(firstMoments[i], $"exp_avg.{i}");
            Restore(secondMoments[i], $"exp_avg_sq.{i}");
        }
        counts.CopyTo(steps, 0);

        void Restore(Tensor moment, string name)
        {
            if (!entries.TryGetValue(name, out var entry) || !entry.Shape.SequenceEqual(moment.shape))
                throw new InvalidDataException($"{path}: {name} is missing or has another shape than the parameter ([{string.Join(", ", moment.shape)}]).");
            using var saved = reader.Read(entry);
            moment.copy_(saved);
        }
    }

    public void Dispose()
    {
        foreach (var t in firstMoments.Concat(secondMoments)) t.Dispose();
        foreach (var s in new[] { beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon }) s.Dispose();
    }
}
