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
        Assert.Equal("InvalidDataException: ".Length + 300 + 1, reason.Length);
    }
}
