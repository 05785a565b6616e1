using Dsdr.Learning.Compute;
using TorchSharp;

namespace Dsdr.Learning.Tests;

public class ComputeConfigTests
{
    [Fact]
    public void The_thread_count_is_set_once_per_process_and_later_trials_do_not_change_it()
    {
        // whichever test asked first set it; every later request, a trial's config included, gets that count
        var inForce = LibTorchProcess.UseThreads(1);
        Assert.Equal(inForce, LibTorchProcess.Threads);
        Assert.Equal(inForce, torch.get_num_threads());

        Assert.Equal(inForce, LibTorchProcess.UseThreads(inForce + 1));
        Assert.Equal(DeviceType.CPU, new ComputeConfig("cpu", inForce + 2).Apply().type);
        Assert.Equal(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, new ComputeConfig().Apply().type);
        Assert.Equal(inForce, torch.get_num_threads());
        Assert.Throws<ArgumentOutOfRangeException>(() => LibTorchProcess.UseThreads(-1));
    }

    // OpenMP keeps the intra-op count per thread: a trial's own thread must get the process's count, not the default
    [Fact]
    public void Every_thread_that_asks_runs_with_the_process_count()
    {
        var inForce = LibTorchProcess.UseThreads(1);
        int seenElsewhere = -1, defaultElsewhere = -1;
        var other = new Thread(() =>
        {
            defaultElsewhere = torch.get_num_threads();
            LibTorchProcess.UseThreads(inForce + 1);
            seenElsewhere = torch.get_num_threads();
        });
        other.Start();
        other.Join();
        Assert.Equal(inForce, seenElsewhere);
        Assert.True(defaultElsewhere > 0);
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
