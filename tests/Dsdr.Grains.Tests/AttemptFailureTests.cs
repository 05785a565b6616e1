using System.Runtime.InteropServices;
using Dsdr.Grains.Running;

namespace Dsdr.Grains.Tests;

/// <summary>What a failed attempt's record says: the first line and where in Dsdr's code, never libtorch's native stack or folders.</summary>
public sealed class AttemptFailureTests
{
    // what TorchSharp raises: the message's first line, then the native frames with the library's install path
    private const string NativeMessage = """
        Unknown scalar type.
        Exception raised from toDouble at /pytorch/c10/core/Scalar.h:279 (most recent call first):
        frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x96 (0x7f3a in /opt/dsdr/runtimes/linux-x64/native/libc10.so)
        """;

    private static void NormaliseLayer() => throw new ExternalException(NativeMessage);

    private static async Task StepAsync()
    {
        await Task.Yield();
        throw new InvalidOperationException("The loss is not finite (NaN) at update 3; lower the learning rate or check the inputs.");
    }

    [Fact]
    public void A_native_error_keeps_its_first_line_and_the_dsdr_frame_that_raised_it()
    {
        var reason = AttemptFailure.Describe(Assert.Throws<ExternalException>(NormaliseLayer));
        Assert.StartsWith("ExternalException: Unknown scalar type. (at Dsdr.Grains.Tests.AttemptFailureTests.NormaliseLayer, AttemptFailureTests.cs:", reason);
        Assert.EndsWith(")", reason);
        Assert.DoesNotContain("\n", reason);
        Assert.DoesNotContain("frame #0", reason);
        Assert.DoesNotContain("/opt/", reason);
    }

    [Fact]
    public async Task An_async_failure_names_the_method_it_was_written_in()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(StepAsync);
        var reason = AttemptFailure.Describe(error);
        Assert.StartsWith("InvalidOperationException: The loss is not finite (NaN) at update 3; lower the learning rate or check the inputs. (at Dsdr.Grains.Tests.AttemptFailureTests.StepAsync, AttemptFailureTests.cs:", reason);
    }

    [Fact]
    public void An_exception_never_thrown_has_no_place_and_a_long_line_is_cut()
    {
        Assert.Equal("TimeoutException: slot went quiet", AttemptFailure.Describe(new TimeoutException("slot went quiet")));
        var reason = AttemptFailure.Describe(new InvalidDataException(new string('x', 1000)));
        Assert.Equal("InvalidDataException: ".Length + AttemptFailure.MaxMessage + 1, reason.Length);
    }

    [Fact]
    public void A_divergence_is_deterministic_and_says_what_to_change()
    {
        var failure = AttemptFailure.Classify(new Dsdr.Core.Failures.TrainingDivergedException(double.NaN, 12, 0.5));
        Assert.Equal(Dsdr.Contracts.FailureKind.Deterministic, failure.Kind);
        Assert.Equal("Training diverged: the loss became NaN at update 12; lower the learning rate (base.learningRate, now 0.5) or check the training data.", failure.PublicMessage);
    }

    [Fact]
    public void Missing_files_bad_data_and_bad_config_are_deterministic_and_name_no_folder()
    {
        var missing = AttemptFailure.Classify(new FileNotFoundException("Checkpoint of trial t not found at '/srv/dsdr/ckpt/t/step-000003.json'.", "/srv/dsdr/ckpt/t/step-000003.json"));
        Assert.Equal(Dsdr.Contracts.FailureKind.Deterministic, missing.Kind);
        Assert.StartsWith("A file the trial needs is missing (step-000003.json);", missing.PublicMessage);
        var folder = AttemptFailure.Classify(new DirectoryNotFoundException("Checkpoint folder /opt/models/qwen does not exist."));
        Assert.Contains("(Checkpoint folder qwen does not exist.)", folder.PublicMessage);
        var data = AttemptFailure.Classify(new InvalidDataException("/data/math/train.jsonl: line 3 is not JSON"));
        Assert.Equal(Dsdr.Contracts.FailureKind.Deterministic, data.Kind);
        Assert.StartsWith("The trial's data could not be read (train.jsonl: line 3 is not JSON);", data.PublicMessage);
        var config = AttemptFailure.Classify(new ArgumentException("simulation.steps must be at least 1 (got 0)."));
        Assert.Equal(Dsdr.Contracts.FailureKind.Deterministic, config.Kind);
        foreach (var message in new[] { missing, folder, data, config }.Select(f => f.PublicMessage))
        {
            Assert.DoesNotContain("/srv", message);
            Assert.DoesNotContain("/opt", message);
            Assert.DoesNotContain("/data", message);
            Assert.DoesNotContain("\n", message);
        }
    }

    [Fact]
    public void Device_faults_timeouts_and_unknown_errors_are_infrastructure_and_keep_no_native_frames_or_folders()
    {
        var native = AttemptFailure.Classify(Assert.Throws<ExternalException>(NormaliseLayer));
        Assert.Equal(Dsdr.Contracts.FailureKind.Infrastructure, native.Kind);
        Assert.DoesNotContain("/opt/", native.PublicMessage);
        Assert.DoesNotContain("frame #0", native.PublicMessage);
        Assert.Equal(Dsdr.Contracts.FailureKind.Infrastructure, AttemptFailure.Classify(new TimeoutException("database did not answer")).Kind);
        var io = AttemptFailure.Classify(new IOException("No space left on device : '/var/lib/dsdr/ckpt/t/model.safetensors'"));
        Assert.Equal(Dsdr.Contracts.FailureKind.Infrastructure, io.Kind);
        Assert.Equal("IOException: No space left on device : 'model.safetensors'", io.PublicMessage);
    }

    [Fact]
    public void A_library_that_quotes_a_file_line_and_path_shows_neither()
    {
        const string secret = "/srv/dsdr/secrets/passwd";
        const string line = "root:x:0:0:root:/root:/bin/bash";
        var parsing = Assert.Throws<FormatException>(() => int.Parse($"{secret}: {line}")); // raised by .NET, not by Dsdr
        var failure = AttemptFailure.Classify(parsing);
        Assert.Equal(Dsdr.Contracts.FailureKind.Deterministic, failure.Kind);
        Assert.StartsWith("The trial's data could not be read (The input string '…' was not in a correct format.)", failure.PublicMessage);
        foreach (var leak in new[] { "/srv", "secrets", "passwd", "root:x", "/bin/bash" }) Assert.DoesNotContain(leak, failure.PublicMessage);
        Assert.Equal("value '…' at 'a.txt', can't say", AttemptFailure.WithoutFolders(AttemptFailure.WithoutQuotedText("value 'root:x:0:0' at '/srv/a.txt', can't say")));
    }

    [Fact]
    public void Unreadable_task_data_a_planted_link_and_a_native_allocator_failure_are_deterministic()
    {
        var data = AttemptFailure.Classify(new Dsdr.Learning.Data.TaskDataException("the task's problems cannot be made: Benchmark file train.jsonl does not exist.", new FileNotFoundException()));
        Assert.Equal(Dsdr.Contracts.FailureKind.Deterministic, data.Kind);
        var link = AttemptFailure.Classify(new Dsdr.Core.Failures.OutsideDataRootsException("$.task.trainPath", "\"/data/train.jsonl\" leads outside the platform's data roots through a symbolic link"));
        Assert.Equal(Dsdr.Contracts.FailureKind.Deterministic, link.Kind);
        Assert.Equal("$.task.trainPath: \"train.jsonl\" leads outside the platform's data roots through a symbolic link.", link.PublicMessage);
        var cuda = AttemptFailure.Classify(new ExternalException("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.1 GiB total capacity)"));
        Assert.Equal(Dsdr.Contracts.FailureKind.Deterministic, cuda.Kind);
        Assert.Contains("raise resources.memoryGiB", cuda.PublicMessage);
    }

    [Theory]
    [InlineData("at update 3/10 of C:\\runs\\a\\x.bin", "at update 3/10 of x.bin")]
    [InlineData("see http://localhost:5080/api/sweeps", "see http://localhost:5080/api/sweeps")]
    [InlineData("folder /a/b/ missing", "folder … missing")]
    public void Folders_are_cut_to_their_last_name(string text, string expected) =>
        Assert.Equal(expected, AttemptFailure.WithoutFolders(text));
}
