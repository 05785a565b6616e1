using Dsdr.Core.Formulas;
using Dsdr.Core.Method;
using static Dsdr.Core.Tests.Method.WorkedGroup;

namespace Dsdr.Core.Tests.Method;

public class GroupScorerTests
{
    private static GroupScores ScoreWorked(double[] rewards, ScoringConfig config) =>
        GroupScorer.Score(rewards, Embeddings, FormulaSets(), config);

    // r̃ = r; A = (r − 0.6)/(√0.3 + 1e-6): 0.7302954 for the three correct of five, −1.0954431 for the others; w = 1/3 on each correct rollout; no d
    [Fact]
    public void A_group_scored_without_diversity_keeps_the_rewards_and_weighs_correct_rollouts_uniformly()
    {
        var s = GroupScorer.ScoreRewardsOnly(Rewards, new ScoringConfig(LambdaD: 0, Tau: 5));
        AssertClose(Rewards, s.ShapedRewards);
        AssertClose([0.7302954, -1.0954431, 0.7302954, 0.7302954, -1.0954431], s.Advantages, 1e-6);
        AssertClose([1.0 / 3, 0, 1.0 / 3, 1.0 / 3, 0], s.Weights);
        Assert.False(s.HasDiversity);
        Assert.Empty(s.Diversity);
        Assert.Equal(5, s.Count);
        // the same r̃ and A as a full scoring with λ_d = 0
        AssertClose(ScoreWorked(Rewards, new ScoringConfig(LambdaD: 0, Tau: 0)).Advantages, s.Advantages);
        Assert.Contains("LambdaD", Assert.Throws<ArgumentException>(() => GroupScorer.ScoreRewardsOnly(Rewards, new ScoringConfig(LambdaD: 0.1))).Message);
    }

    // d acts on correct rollouts only: a group without one scores the same with or without its embeddings
    [Fact]
    public void A_group_without_a_correct_rollout_needs_no_embeddings_whatever_lambda()
    {
        double[] wrong = [0, 0, 0, 0, 0];
        var config = new ScoringConfig(LambdaD: 0.5, Tau: 5);
        var full = ScoreWorked(wrong, config);
        var without = GroupScorer.ScoreRewardsOnly(wrong, config);
        Assert.Equal(full.ShapedRewards, without.ShapedRewards);
        Assert.Equal(full.Advantages, without.Advantages);
        Assert.Equal(full.Weights, without.Weights);
        Assert.All(without.Weights, w => Assert.Equal(0, w));
    }

    [Fact]
    public void Worked_group_with_spec_defaults_matches_every_output()
    {
        var s = ScoreWorked(Rewards, new ScoringConfig());

        AssertClose(Semantic, s.Semantic);
        AssertClose(Formula, s.Formula);
        AssertClose(Diversity, s.Diversity);
        AssertClose(Diversity, s.Clipped); // σ_d = 1 clips nothing
        // r̃ = r + 0.001·d̄ for the correct ones (1, 3, 4)
        AssertClose([1 + 0.001 * 7 / 32, 0, 1 + 0.001 * 59 / 96, 1 + 0.001 * 7 / 32, 0], s.ShapedRewards);
        // mean r̃ = 0.600303125 (= (3 + 0.001·(7/32 + 59/96 + 7/32))/5), sample std 0.5477128...
        AssertClose([0.730054567120421, -1.0954430680712928, 0.7307770019017428, 0.730054567120421, -1.0954430680712928], s.Advantages);
        // w = exp(5 d̄_i) / Σ_{1,3,4} exp(5 d̄_j)
        AssertClose([0.10826365805307755, 0, 0.7834726838938447, 0.10826365805307755, 0], s.Weights);
    }

    [Fact]
    public void Worked_group_with_clip_large_lambda_and_zero_tau()
    {
        var s = ScoreWorked(Rewards, new ScoringConfig(LambdaD: 0.5, Tau: 0, SigmaD: 0.3));

        AssertClose(Diversity, s.Diversity);
        AssertClose([7.0 / 32, 5.0 / 32, 0.3, 7.0 / 32, 0.3], s.Clipped);
        // r̃ = 1 + 0.5·d̄ for correct ones: 1.109375, 1.15
        AssertClose([1.109375, 0, 1.15, 1.109375, 0], s.ShapedRewards);
        AssertClose([0.7080209279626777, -1.0950452802636534, 0.7740487046019516, 0.7080209279626777, -1.0950452802636534], s.Advantages);
        AssertClose([1.0 / 3, 0, 1.0 / 3, 1.0 / 3, 0], s.Weights);
    }

    [Fact]
    public void Worked_group_with_correct_only_neighbours_and_mean_only_advantages()
    {
        var s = ScoreWorked(Rewards, new ScoringConfig(StdNormalize: false, SemanticNeighbours: SemanticNeighbours.CorrectOnly));

        // correct P = {1, 3, 4}; D_emb(i) = mean of e_ij over j ∈ P, j ≠ i
        // 1: (1/4 + 1/2)/2 = 3/8   2: (1/4 + 1/2 + 1/4)/3 = 1/3   3: (1/4 + 3/4)/2 = 1/2
        // 4: (1/2 + 3/4)/2 = 5/8   5: (3/4 + 3/4 + 1/4)/3 = 7/12
        AssertClose([3.0 / 8, 1.0 / 3, 1.0 / 2, 5.0 / 8, 7.0 / 12], s.Semantic);
        AssertClose([3.0 / 16, 1.0 / 6, 7.0 / 12, 5.0 / 16, 19.0 / 24], s.Diversity);
        AssertClose([1.0001875, 0, 1.0005833333333334, 1.0003125, 0], s.ShapedRewards);
        // A = r̃ − mean(r̃), mean = 0.6002166666666666
        AssertClose([0.3999708333333334, -0.6002166666666666, 0.40036666666666676, 0.4000958333333333, -0.6002166666666666], s.Advantages);
        AssertClose([0.09896134293638886, 0, 0.7161545281806387, 0.18488412888297232, 0], s.Weights);
    }

    [Fact]
    public void All_correct_group_with_lambda_0_001_gets_order_one_advantages()
    {
        var s = ScoreWorked(AllCorrect, new ScoringConfig());

        AssertClose([1.00021875, 1.00015625, 1.0006145833333333, 1.00021875, 1.00075], s.ShapedRewards);
        // the bonus spread is ~1e-4 but std normalisation turns it into O(1) advantages (spec §2, Prop. C.4)
        AssertClose([-0.6362065883448991, -0.8661607769025088, 0.8201699391901699, -0.6362065883448991, 1.318404014399686], s.Advantages);
        Assert.All(s.Advantages, a => Assert.True(Math.Abs(a) > 0.5));
        AssertClose([0.041303362430295115, 0.030218185482051456, 0.2989004509827167, 0.041303362430295115, 0.5882746386746416], s.Weights);
    }

    [Fact]
    public void All_correct_group_with_lambda_zero_gets_zero_advantages_but_still_weights()
    {
        var s = ScoreWorked(AllCorrect, new ScoringConfig(LambdaD: 0));
        Assert.All(s.Advantages, a => Assert.Equal(0.0, a));
        Assert.Equal(1.0, s.Weights.Sum(), 12);
    }

    [Fact]
    public void Correct_only_neighbours_equal_whole_group_when_all_are_correct()
    {
        var group = ScoreWorked(AllCorrect, new ScoringConfig());
        var correctOnly = ScoreWorked(AllCorrect, new ScoringConfig(SemanticNeighbours: SemanticNeighbours.CorrectOnly));
        AssertClose(group.Semantic, correctOnly.Semantic, 0);
    }

    [Fact]
    public void All_wrong_group_scores_zero_advantages_and_zero_weights()
    {
        var s = ScoreWorked([0, 0, 0, 0, 0], new ScoringConfig());
        Assert.All(s.ShapedRewards, r => Assert.Equal(0.0, r));
        Assert.All(s.Advantages, a => Assert.Equal(0.0, a));
        Assert.All(s.Weights, w => Assert.Equal(0.0, w));
        AssertClose(Diversity, s.Diversity); // diversity is still reported
    }

    [Fact]
    public void Group_of_one_gets_zero_advantage_and_full_weight_when_correct()
    {
        var s = GroupScorer.Score([1.0], [[0f, 1f]], [new FormulaSet(["x=1"])], new ScoringConfig());
        Assert.Equal(0.0, s.Semantic[0]);
        Assert.Equal(1.0, s.Formula[0]);
        Assert.Equal(0.0, s.Advantages[0]);
        Assert.Equal(1.0, s.Weights[0]);
    }

    public static TheoryData<int, double, double, SemanticNeighbours> RandomGroups() => new()
    {
        { 1, 0.001, 5, SemanticNeighbours.Group },
        { 2, 0.01, 1, SemanticNeighbours.Group },
        { 3, 0.1, 10, SemanticNeighbours.CorrectOnly },
        { 4, 0.001, 0, SemanticNeighbours.CorrectOnly },
        { 5, 1.0, 5, SemanticNeighbours.Group },
    };

    [Theory]
    [MemberData(nameof(RandomGroups))]
    public void Properties_hold_on_random_groups(int seed, double lambdaD, double tau, SemanticNeighbours neighbours)
    {
        var rng = new Random(seed);
        for (int trial = 0; trial < 50; trial++)
        {
            int g = rng.Next(2, 12);
            var rewards = Enumerable.Range(0, g).Select(_ => rng.Next(2) == 1 ? 1.0 : 0.0).ToArray();
            var embeddings = Enumerable.Range(0, g).Select(_ => RandomUnit(rng, 16)).ToArray();
            var sets = Enumerable.Range(0, g)
                .Select(_ => (IReadOnlySet<string>)new FormulaSet(Enumerable.Range(0, rng.Next(0, 5)).Select(_ => "f" + rng.Next(6))))
                .ToArray();
            var config = new ScoringConfig(LambdaD: lambdaD, Tau: tau, SemanticNeighbours: neighbours);
            var s = GroupScorer.Score(rewards, embeddings, sets, config);

            int correct = rewards.Count(r => r == 1);
            Assert.Equal(0.0, s.Advantages.Sum(), 9); // advantages are zero-mean
            for (int i = 0; i < g; i++)
            {
                Assert.InRange(s.Semantic[i], 0, 1);
                Assert.InRange(s.Formula[i], 0, 1);
                Assert.InRange(s.Clipped[i], 0, config.SigmaD);
                if (rewards[i] != 1) { Assert.Equal(0.0, s.Weights[i]); Assert.Equal(0.0, s.ShapedRewards[i]); }
                else Assert.True(s.Weights[i] > 0);
            }
            if (correct > 0) Assert.Equal(1.0, s.Weights.Sum(), 12);
            else Assert.All(s.Weights, w => Assert.Equal(0.0, w));
            if (tau == 0 && correct > 0)
                Assert.All(s.Weights.Where((_, i) => rewards[i] == 1), w => Assert.Equal(1.0 / correct, w, 15));
            // the correct ones rank by d̄ in both r̃ and w
            for (int i = 0; i < g; i++)
                for (int j = 0; j < g; j++)
                    if (rewards[i] == 1 && rewards[j] == 1 && s.Clipped[i] > s.Clipped[j])
                    {
                        Assert.True(s.Advantages[i] > s.Advantages[j]);
                        if (tau > 0) Assert.True(s.Weights[i] > s.Weights[j]);
                    }
        }
    }

    [Fact]
    public void Outputs_keep_input_order()
    {
        int[] perm = [3, 0, 4, 2, 1];
        var sets = FormulaSets();
        var s = GroupScorer.Score(perm.Select(p => Rewards[p]).ToArray(), perm.Select(p => Embeddings[p]).ToArray(),
            perm.Select(p => sets[p]).ToArray(), new ScoringConfig());
        var reference = ScoreWorked(Rewards, new ScoringConfig());
        for (int k = 0; k < perm.Length; k++)
        {
            Assert.Equal(reference.Diversity[perm[k]], s.Diversity[k], 12);
            Assert.Equal(reference.Advantages[perm[k]], s.Advantages[k], 9);
            Assert.Equal(reference.Weights[perm[k]], s.Weights[k], 12);
        }
    }

    public static TheoryData<ScoringConfig, string> BadConfigs() => new()
    {
        { new ScoringConfig(LambdaD: -0.1), "LambdaD" },
        { new ScoringConfig(LambdaD: double.NaN), "LambdaD" },
        { new ScoringConfig(Tau: -1), "Tau" },
        { new ScoringConfig(Tau: double.PositiveInfinity), "Tau" },
        { new ScoringConfig(SigmaD: 0), "SigmaD" },
        { new ScoringConfig(SigmaD: 1.5), "SigmaD" },
        { new ScoringConfig(SigmaD: double.NaN), "SigmaD" },
        { new ScoringConfig(Epsilon: 0), "Epsilon" },
        { new ScoringConfig(Epsilon: -1e-6), "Epsilon" },
        { new ScoringConfig(SemanticNeighbours: (SemanticNeighbours)7), "SemanticNeighbours" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Bad_config_is_rejected_naming_the_field(ScoringConfig config, string field)
    {
        var ex = Assert.Throws<ArgumentException>(() => ScoreWorked(Rewards, config));
        Assert.StartsWith(field, ex.Message);
    }

    [Fact]
    public void Sigma_one_and_tau_zero_and_lambda_zero_are_valid_edges()
    {
        GroupScorer.ValidateConfig(new ScoringConfig(LambdaD: 0, Tau: 0, SigmaD: 1));
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        var sets = FormulaSets();
        var ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score([1, 0, 1], Embeddings, sets, new ScoringConfig()));
        Assert.Contains("embeddings has 5 entries but rewards has 3", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score(Rewards, Embeddings, sets[..4], new ScoringConfig()));
        Assert.Contains("formulaSets has 4 entries", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score([], [], [], new ScoringConfig()));
        Assert.Contains("at least one rollout", ex.Message);
    }

    [Fact]
    public void Embeddings_of_different_dimension_or_not_unit_or_not_finite_are_rejected()
    {
        var sets = FormulaSets()[..2];
        var ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score([1, 0], [[1f, 0f], [0f, 0f, 1f]], sets, new ScoringConfig()));
        Assert.Contains("embeddings[1] has dimension 3 but embeddings[0] has 2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score([1, 0], [[1f, 0f], [0.5f, 0f]], sets, new ScoringConfig()));
        Assert.Contains("embeddings[1] has L2 norm 0.5", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score([1, 0], [[1f, 0f], [float.NaN, 0f]], sets, new ScoringConfig()));
        Assert.Contains("non-finite", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score([1, 0], [[], []], sets, new ScoringConfig()));
        Assert.Contains("embeddings[0] is null or empty", ex.Message);
    }

    [Fact]
    public void Non_finite_reward_and_null_formula_set_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score([1, double.NaN], [[1f, 0f], [0f, 1f]], FormulaSets()[..2], new ScoringConfig()));
        Assert.Contains("rewards[1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => GroupScorer.Score([1, 0], [[1f, 0f], [0f, 1f]], [FormulaSet.Empty, null!], new ScoringConfig()));
        Assert.Contains("formulaSets[1] is null", ex.Message);
    }

    internal static float[] RandomUnit(Random rng, int dim)
    {
        var v = new double[dim];
        for (int k = 0; k < dim; k++) v[k] = rng.NextDouble() * 2 - 1;
        double norm = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => (float)(x / norm)).ToArray();
    }
}
