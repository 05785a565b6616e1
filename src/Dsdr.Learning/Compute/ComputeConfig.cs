using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Compute;

/// <summary>
/// Where tensors live and how many CPU threads libtorch uses.
/// <paramref name="Device"/>: "auto" (CUDA when present, else CPU), "cpu", "cuda" or "cuda:N".
/// <paramref name="Threads"/>: intra-op CPU threads; 0 = one per core. The count is process-wide and set once per process
/// (<see cref="LibTorchProcess"/>): the first config applied in a process decides it.
/// CUDA needs the CUDA native package: build with -p:LibTorchBackend=cuda (see src/Dsdr.Learning/README.md).
/// </summary>
public sealed record ComputeConfig(string Device = "auto", int Threads = 0)
{
    /// <summary>
    /// Makes sure libtorch's process-wide thread count is set (by the first config applied in this process) and returns
    /// the device to use; throws when CUDA is asked for but absent.
    /// </summary>
    public torch.Device Apply()
    {
        if (Threads < 0) throw new ArgumentException($"Threads must be ≥ 0 (0 = one per core), got {Threads}.");
        LibTorchProcess.UseThreads(Threads);
        return ResolveDevice();
    }

    public torch.Device ResolveDevice()
    {
        var name = Device.Trim().ToLowerInvariant();
        if (name == "auto") return cuda.is_available() ? CUDA : CPU;
        if (name == "cpu") return CPU;
        if (name == "cuda" || name.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new InvalidOperationException(
                    $"Device '{Device}' asked for, but CUDA is not available: this build uses the CPU libtorch (build with -p:LibTorchBackend=cuda on a CUDA machine) or no GPU is visible.");
            if (name == "cuda") return CUDA;
            if (!int.TryParse(name.AsSpan(5), out var index) || index < 0 || index >= cuda.device_count())
                throw new ArgumentException($"Device '{Device}': no such CUDA device (this machine has {cuda.device_count()}).");
            return new torch.Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"Unknown device '{Device}'; expected auto, cpu, cuda or cuda:N.");
    }
}
