using Dsdr.Learning.Compute;
using TorchSharp;

namespace Dsdr.Learning.Tests;

public class ComputeConfigTests
{
    [Fact]
    public void CpuAndAutoResolveHereAndThreadsDefaultToCores()
    {
        var before = torch.get_num_threads();
        try
        {
            Assert.Equal(DeviceType.CPU, new ComputeConfig("cpu", 1).Apply().type);
            Assert.Equal(1, torch.get_num_threads());
            Assert.Equal(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, new ComputeConfig().Apply().type);
            Assert.Equal(Environment.ProcessorCount, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    [Fact]
    public void UnknownOrAbsentDevicesAreNamed()
    {
        Assert.Contains("'tpu'", Assert.Throws<ArgumentException>(() => new ComputeConfig("tpu").ResolveDevice()).Message);
        Assert.Contains("Threads", Assert.Throws<ArgumentException>(() => new ComputeConfig("cpu", -1).Apply()).Message);
        if (!torch.cuda.is_available())
            Assert.Contains("CUDA is not available", Assert.Throws<InvalidOperationException>(() => new ComputeConfig("cuda:0").ResolveDevice()).Message);
    }
}
