using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Compute;
using Dsdr.Learning.Training;
using Xunit;
using static Dsdr.Learning.Tests.Training.TrainingFixtures;

namespace Dsdr.Learning.Tests.Training;

/// <summary>
/// Pins what every arm of the DSDR paper computes: a 3-step run of each (and of two option mixes that reach the other
/// aggregations, KL, dual-clip, mean-only advantages, correct-only neighbours and two PPO epochs) gives the step metrics
/// and group advantages recorded before the estimators moved behind registries. A refactor that changes a number of an
/// existing arm fails here. Recorded with one libtorch thread on x86-64 CPU; the tolerance (relative 1e-4) absorbs
/// float32 noise between CPUs, not a changed formula.
/// </summary>
public class ArmGoldenTests
{
    private static bool Parity(string text) => text.Sum(c => c) % 2 == 0;

    public static IEnumerable<(string Name, TrainingConfig Config)> Cases()
    {
        foreach (var arm in new[] { "grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc", "dsdr-uniform" }) yield return (arm, Config(arm));
        yield return ("grpo seq-mean-token-sum kl dual-clip no-std", Config("grpo") with
        {
            LossAggregation = LossAggregation.SeqMeanTokenSum, KlBeta = 0.05, KlEstimator = KlEstimator.K2, DualClip = 3, StdNormalize = false,
        });
        yield return ("dsdr seq-mean-token-mean correct-only", Config("dsdr") with
        {
            LossAggregation = LossAggregation.SeqMeanTokenMean, SemanticNeighbours = SemanticNeighbours.CorrectOnly, PpoEpochs = 2,
        });
    }

    private sealed record Expected(string Case, int Step, double[] Values);

    // reward mean, pg loss, local term, entropy, grad norm, approx KL to π_old, KL to the reference (0 = off), clip low, clip high
    private static readonly Expected[] Steps =
    [
        new("grpo", 1, [0.375, -0.012041792273521423, 1.2698814272880554, 1.413798352187916, 24.693845748901367, 0.14554970796750355, 0, 0.12195121951219512, 0.07317073170731707]),
        new("grpo", 2, [0.8125, 0.014897894424695579, 1.1704129576683044, 1.3207923968633015, 32.664504051208496, 0.11832319580328961, 0, 0.020833333333333332, 0.020833333333333332]),
        new("grpo", 3, [0.5, 0.07538892887532711, 1.5327441692352295, 1.3484939914610652, 33.785274505615234, 0.05101398634465618, 0, 0.09375, 0.052083333333333336]),
        new("dapo", 1, [0.375, 0.1219210010021925, 1.2748624682426453, 1.4094221733534198, 30.597556114196777, 0.18414102015525008, 0, 0.08536585365853659, 0.06097560975609756]),
        new("dapo", 2, [0.5, 0.020430789018675455, 1.3371968865394592, 1.2757885878284774, 32.07396221160889, 0.046070364594925195, 0, 0.13541666666666666, 0.03125]),
        new("dapo", 3, [0.625, 0.02794722095131874, 1.1961647868156433, 1.3205841165305912, 15.481044292449951, 0.05283065745944454, 0, 0.043478260869565216, 0.043478260869565216]),
        new("dsdr", 1, [0.375, -0.018085267394781113, 1.270013451576233, 1.414748415335112, 25.029369354248047, 0.1457547479455309, 0, 0.12195121951219512, 0.06097560975609756]),
        new("dsdr", 2, [0.8125, 0.0270350792755778, 1.3600574135780334, 1.3300107245643933, 43.52146339416504, 0.11373677647983035, 0, 0.0625, 0.010416666666666666]),
        new("dsdr", 3, [0.375, 0.04016474075615406, 1.3540855646133423, 1.433787960310777, 22.31362009048462, -0.025603094691824584, 0, 0.03125, 0.041666666666666664]),
        new("dsdr-no-gd", 1, [0.375, -0.01823095977306366, 1.2712129354476929, 1.4147033803915547, 25.0305814743042, 0.145151136069206, 0, 0.12195121951219512, 0.06097560975609756]),
        new("dsdr-no-gd", 2, [0.8125, 0.01553614903241396, 1.1643254160881042, 1.330711265405019, 33.509620666503906, 0.11444017097043493, 0, 0.020833333333333332, 0.010416666666666666]),
        new("dsdr-no-gd", 3, [0.4375, 0.0696570985019207, 1.275562584400177, 1.3614458034435908, 40.02522563934326, 0.03289611790743139, 0, 0.0625, 0.020833333333333332]),
        new("dsdr-no-gc", 1, [0.375, -0.016656160354614258, 1.2698758244514465, 1.4137554979020943, 24.75286865234375, 0.14548512270045985, 0, 0.12195121951219512, 0.06097560975609756]),
        new("dsdr-no-gc", 2, [0.8125, 0.023703499386698468, 1.1680872440338135, 1.3229030072689056, 44.071828842163086, 0.11655915443164606, 0, 0.0625, 0.010416666666666666]),
        new("dsdr-no-gc", 3, [0.4375, 0.053634895011782646, 1.3316632211208344, 1.422875268260638, 24.795601844787598, -0.008243889625494678, 0, 0.010416666666666666, 0.0625]),
        new("dsdr-uniform", 1, [0.375, -0.018169540911912918, 1.2712401747703552, 1.4147118558812875, 25.03318691253662, 0.14517570190548437, 0, 0.12195121951219512, 0.06097560975609756]),
        new("dsdr-uniform", 2, [0.8125, 0.02709672413766384, 1.1631198525428772, 1.330046646296978, 42.76276969909668, 0.11384669380883375, 0, 0.0625, 0.010416666666666666]),
        new("dsdr-uniform", 3, [0.4375, 0.05405297130346298, 1.2586206197738647, 1.4407026689913538, 24.067745208740234, -0.024501825248201686, 0, 0.010416666666666666, 0.0625]),
        new("grpo seq-mean-token-sum kl dual-clip no-std", 1, [0.375, -0.03300037980079651, 1.2669261693954468, 1.4146795065506645, 113.16360092163086, 0.1472752013753345, 1.3189423084259382, 0.12195121951219512, 0.07317073170731707]),
        new("grpo seq-mean-token-sum kl dual-clip no-std", 2, [0.5625, 0.10700049996376038, 1.173873245716095, 1.2954522681732974, 82.73918914794922, 0.1207199781589831, 8.312334060668945, 0.09375, 0.052083333333333336]),
        new("grpo seq-mean-token-sum kl dual-clip no-std", 3, [0.5, 0.1333257555961609, 1.2005537450313568, 1.2175941378351243, 84.64152908325195, 0.20553328056213638, 11.10927152633667, 0.03571428571428571, 0.03571428571428571]),
        new("dsdr seq-mean-token-mean correct-only", 1, [0.375, 0.004973160102963448, 1.2295299768447876, 1.2247303988797171, 23.31214928627014, 0.656400193055625, 0, 0.2729206414685711, 0.1164692156963853]),
        new("dsdr seq-mean-token-mean correct-only", 2, [0.5625, -0.0249379500746727, 1.6775393635034561, 1.1945172920823097, 16.0745187997818, 0.30305902927648276, 0, 0.19791666666666669, 0.15104166666666666]),
        new("dsdr seq-mean-token-mean correct-only", 3, [0.5, -0.021980516612529755, 3.453589230775833, 1.072796668857336, 16.794695138931274, 0.15103596464420357, 0, 0.140625, 0.078125]),
    ];

    // SHA-256 (16 hex digits) of every group's advantages (G6), in emission order
    private static readonly Dictionary<string, string> AdvantageDigests = new()
    {
        ["grpo"] = "4c426b74e5972bda",
        ["dapo"] = "6f2ee9c249a5ae24",
        ["dsdr"] = "4a3234a80471303e",
        ["dsdr-no-gd"] = "97bbbe78d68ea628",
        ["dsdr-no-gc"] = "8a60ba12fbcb5051",
        ["dsdr-uniform"] = "37f6a2a8fdf47ddd",
        ["grpo seq-mean-token-sum kl dual-clip no-std"] = "bbc48d15d13e04d0",
        ["dsdr seq-mean-token-mean correct-only"] = "f8db47a944046e30",
    };

    private static double[] Values(StepMetrics m) =>
        [m.RewardMean, m.PolicyLoss, m.LocalTerm, m.Entropy, m.GradNorm, m.ApproxKlToOld, m.Kl ?? 0, m.ClipFractionLow, m.ClipFractionHigh];

    private static string Digest(IEnumerable<GroupRecord> groups) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Join(";", groups.Select(g => string.Join(",", g.Advantages.Select(a => a.ToString("G6", CultureInfo.InvariantCulture))))))))[..16];

    [Fact]
    public void Every_existing_arm_computes_the_numbers_it_computed_before_the_registries()
    {
        LibTorchProcess.UseThreads(1);
        var names = new[] { "reward mean", "pg loss", "local term", "entropy", "grad norm", "approx KL to old", "KL", "clip low", "clip high" };
        foreach (var (name, config) in Cases())
        {
            using var policy = Policy();
            var sink = new MemoryTrainingSink();
            using (var trainer = Trainer(policy, new TrainerOptions(config, Sinks: [sink]), new ScriptedTask(Parity)))
                trainer.Run();

            Assert.Equal(AdvantageDigests[name], Digest(sink.Groups));
            var expected = Steps.Where(s => s.Case == name).ToList();
            Assert.Equal(expected.Select(e => e.Step), sink.Steps.Select(m => m.Step));
            foreach (var (e, m) in expected.Zip(sink.Steps))
            {
                var actual = Values(m);
                for (var k = 0; k < actual.Length; k++)
                    Assert.True(Math.Abs(actual[k] - e.Values[k]) <= 1e-4 * Math.Abs(e.Values[k]) + 1e-9,
                        $"{name} step {e.Step} {names[k]}: {actual[k]:R}, recorded {e.Values[k]:R}");
            }
        }
    }
}
