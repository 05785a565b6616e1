using System.Diagnostics;

namespace Dsdr.Learning.Tests;

/// <summary>Debian's PyTorch (/usr/bin/python3 with python3-torch) and the scripts under bench/pytorch that the cross-checks run.</summary>
internal static class PyTorchReference
{
    public const string Python = "/usr/bin/python3";
    public const string Missing = Python + " cannot import torch: apt-get install -y python3-torch libopenblas0-pthread";

    public static string BenchFolder() => Path.Combine(TestModels.RepositoryRoot(), "bench", "pytorch");

    public static bool Available()
    {
        if (!File.Exists(Python))
            return false;
        try
        {
            return Run(Python, "-c \"import torch\"").ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill();
            throw new TimeoutException($"{file} {arguments} did not finish within 120 s.");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
