using System.Runtime.CompilerServices;
using Dsdr.Learning.Compute;

namespace Dsdr.Learning.Tests;

/// <summary>
/// The process's libtorch thread count is decided by its first request (<see cref="LibTorchProcess"/>), so without this
/// the test that happens to run first decides it for all: the recorded numbers (ArmGoldenTests, one thread) then depend
/// on the order xUnit picks. This assembly asks for one thread before any test runs.
/// </summary>
internal static class OneLibTorchThread
{
    [ModuleInitializer]
    internal static void Set() => LibTorchProcess.UseThreads(1);
}
