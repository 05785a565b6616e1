using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Dsdr.Learning.Embedding;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Dsdr.Learning.Compute;

/// <summary>
/// What a trial's bits depend on besides its configuration (docs/REPRODUCIBILITY.md): the CPU and the vector
/// instructions its kernels use, libtorch's intra-op thread count, the libtorch, TorchSharp and ONNX Runtime
/// versions, the .NET runtime and the commit that built Dsdr. Two runs agree bit for bit when all of these agree.
/// </summary>
public sealed record TrialEnvironment(
    string Commit,
    string Cpu,
    string InstructionSet,
    int LogicalCores,
    int TorchThreads,
    string Device,
    string Libtorch,
    string TorchSharp,
    string OnnxRuntime,
    bool EncoderBatchInvariant,
    string DotNet,
    string Os)
{
    /// <summary>This process as it is now (libtorch's thread count as currently set).</summary>
    public static TrialEnvironment Capture(Device device, MiniLmEmbedder? encoder = null) => new(
        Commit: CommitOf(typeof(TrialEnvironment).Assembly),
        Cpu: CpuModel(),
        InstructionSet: InstructionSetName(),
        LogicalCores: Environment.ProcessorCount,
        TorchThreads: get_num_threads(),
        Device: device.ToString(),
        Libtorch: __version__,
        TorchSharp: typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        OnnxRuntime: OrtEnv.Instance().GetVersionString(),
        EncoderBatchInvariant: encoder?.BatchInvariant ?? true,
        DotNet: RuntimeInformation.FrameworkDescription,
        Os: RuntimeInformation.OSDescription);

    /// <summary>The git commit in the assembly's informational version ("1.0.0+&lt;commit&gt;"), else "unknown".</summary>
    public static string CommitOf(Assembly assembly) =>
        CommitOf(assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    public static string CommitOf(string? informationalVersion) =>
        informationalVersion?.IndexOf('+') is int plus and >= 0 && plus + 1 < informationalVersion.Length ? informationalVersion[(plus + 1)..] : "unknown";

    /// <summary>The widest x86 vector extension this runtime reports (the kernels of libtorch and ONNX Runtime dispatch on it).</summary>
    public static string InstructionSetName() =>
        Avx512F.IsSupported ? "avx512f" : Avx2.IsSupported ? "avx2" : Avx.IsSupported ? "avx" : Sse42.IsSupported ? "sse4.2"
        : RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private static string CpuModel()
    {
        try
        {
            var line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
