using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

/// <summary>Issue 18 part 3: a spec's files stay inside the data roots; refusals say neither what exists nor where the roots are.</summary>
public sealed class SpecPathsTests : IDisposable
{
    private readonly string _scratch = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"dsdr-paths-{Guid.NewGuid():N}")).FullName;
    private readonly string _root;
    private readonly string _outside;

    public SpecPathsTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_scratch, "data")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_scratch, "secret")).FullName;
        File.WriteAllText(Path.Combine(_root, "train.jsonl"), "{\"problem\": \"1+1\", \"answer\": \"2\"}\n");
        File.WriteAllText(Path.Combine(_outside, "passwd"), "root:x:0:0\n");
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private IReadOnlyList<string> Roots => [_root];

    [Fact]
    public void A_file_inside_a_root_is_allowed_existing_or_not()
    {
        Assert.Null(SpecPaths.Problem(Path.Combine(_root, "train.jsonl"), Roots));
        Assert.Null(SpecPaths.Problem(Path.Combine(_root, "later", "math500.jsonl"), Roots)); // another node may hold it
        Assert.Null(SpecPaths.Problem(_root, Roots));
        Assert.Null(SpecPaths.Problem(_root + Path.DirectorySeparatorChar, Roots));
    }

    [Theory]
    [InlineData("/etc/passwd", "is outside the platform's data roots")]
    [InlineData("../../../../etc", "is not an absolute path")]
    [InlineData("train.jsonl", "is not an absolute path")]
    [InlineData("/x/\0/y", "control character")]
    public void Paths_outside_relative_or_odd_are_refused(string path, string reason)
    {
        var problem = SpecPaths.Problem(path, Roots);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem);
        Assert.Contains("Dsdr:DataRoots", problem);
        Assert.DoesNotContain(_root, problem);
    }

    [Fact]
    public void Dot_dot_segments_are_refused_even_when_they_land_inside()
    {
        Assert.Contains("\"..\" segment", SpecPaths.Problem(Path.Combine(_root, "..", "secret", "passwd"), Roots));
        Assert.Contains("\"..\" segment", SpecPaths.Problem(Path.Combine(_root, "sub", "..", "train.jsonl"), Roots));
        Assert.Contains("\"..\" segment", SpecPaths.Problem(Path.Combine(_root, ".", "train.jsonl"), Roots));
    }

    [Fact]
    public void A_sibling_folder_sharing_the_roots_prefix_is_outside()
    {
        var sibling = Directory.CreateDirectory(_root + "-old").FullName;
        Assert.Contains("outside", SpecPaths.Problem(Path.Combine(sibling, "train.jsonl"), Roots));
    }

    [Fact]
    public void A_symbolic_link_out_of_the_root_is_refused_and_one_within_it_allowed()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "leak.jsonl"), Path.Combine(_outside, "passwd"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_root, "relative"), Path.Combine("..", "secret"));
        Directory.CreateDirectory(Path.Combine(_root, "sets"));
        File.CreateSymbolicLink(Path.Combine(_root, "sets", "train.jsonl"), Path.Combine("..", "train.jsonl"));

        foreach (var link in new[] { Path.Combine(_root, "leak.jsonl"), Path.Combine(_root, "escape", "passwd"), Path.Combine(_root, "relative", "passwd"),
                     Path.Combine(_root, "escape", "not-there.jsonl") })
        {
            var problem = SpecPaths.Problem(link, Roots);
            Assert.True(problem?.Contains("through a symbolic link") == true, $"{link}: {problem}");
            Assert.DoesNotContain(_outside, problem);
        }
        Assert.Null(SpecPaths.Problem(Path.Combine(_root, "sets", "train.jsonl"), Roots));
    }

    [Fact]
    public void A_root_that_is_itself_a_link_holds_what_its_target_holds()
    {
        var linkedRoot = Path.Combine(_scratch, "data-link");
        Directory.CreateSymbolicLink(linkedRoot, _root);
        Assert.Null(SpecPaths.Problem(Path.Combine(linkedRoot, "train.jsonl"), [linkedRoot]));
    }

    [Fact]
    public void A_link_loop_is_refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "a"), Path.Combine(_root, "b"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "b"), Path.Combine(_root, "a"));
        Assert.NotNull(SpecPaths.Problem(Path.Combine(_root, "a", "x.jsonl"), Roots));
    }

    [Fact]
    public void No_roots_means_no_files()
    {
        Assert.Contains("has no data roots", SpecPaths.Problem(Path.Combine(_root, "train.jsonl"), []));
    }

    // ---- at submission: the parser with the platform's roots ----

    private static string MathSpec(string trainPath, string benchmarkPath) => With(o => o["task"] = new JsonObject
    {
        ["kind"] = "math",
        ["trainPath"] = trainPath,
        ["benchmarks"] = new JsonArray(new JsonObject { ["name"] = "MATH500", ["path"] = benchmarkPath }),
    });

    [Fact]
    public void The_examples_of_issue_18_are_refused_at_submission_naming_the_field()
    {
        var options = new SweepSpecParserOptions { DataRoots = Roots };
        var passwd = SweepSpecParser.Parse(MathSpec("/etc/passwd", Path.Combine(_root, "m.jsonl")), options);
        Assert.Equal("$.task.trainPath", Assert.Single(passwd.Errors).Path);
        Assert.DoesNotContain("root:", Assert.Single(passwd.Errors).Reason);

        var checkpoint = SweepSpecParser.Parse(With(o => o["model"] = JsonNode.Parse("{\"checkpoint\": \"../../../../etc\"}")), options);
        Assert.Equal("$.model.checkpoint", Assert.Single(checkpoint.Errors).Path);

        var benchmark = SweepSpecParser.Parse(MathSpec(Path.Combine(_root, "train.jsonl"), Path.Combine(_outside, "passwd")), options);
        Assert.Equal("$.task.benchmarks[0].path", Assert.Single(benchmark.Errors).Path);
    }

    [Fact]
    public void Inside_the_roots_the_spec_is_valid_and_without_roots_paths_are_not_checked()
    {
        var json = MathSpec(Path.Combine(_root, "train.jsonl"), Path.Combine(_root, "m.jsonl"));
        Assert.True(SweepSpecParser.Parse(json, new SweepSpecParserOptions { DataRoots = Roots }).IsValid);
        Assert.True(SweepSpecParser.Parse(MathSpec("/etc/passwd", "/etc/shadow")).IsValid); // the CLI's offline commands read the user's own files
    }

    [Fact]
    public void A_refusal_reads_the_same_whether_the_file_exists_or_not()
    {
        var options = new SweepSpecParserOptions { DataRoots = Roots };
        string Reason(string path) => Assert.Single(SweepSpecParser.Parse(MathSpec(path, Path.Combine(_root, "m.jsonl")), options).Errors).Reason;
        var existing = Path.Combine(_outside, "passwd");
        var missing = Path.Combine(_outside, "nothing-here");
        Assert.Equal(Reason(existing).Replace(existing, "P"), Reason(missing).Replace(missing, "P"));
    }
}
