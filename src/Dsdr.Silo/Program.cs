using Dsdr.Grains;
using Dsdr.Grains.Simulation;
using Dsdr.Silo;
using Microsoft.Extensions.Hosting;

DsdrSiloOptions options;
try
{
    options = DsdrSiloOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine();
    Console.Error.WriteLine(DsdrSiloOptions.Usage);
    return 2;
}

// The trainer's runner and the PostgreSQL providers are wired where Dsdr.Learning and
// Dsdr.Storage meet this host; until then the node runs simulated trials on volatile state.
Console.Error.WriteLine($"Dsdr.Silo: node '{options.Node}', {options.Mode}, slots: {string.Join(", ", options.Devices.Select(d => $"{d.Name} ({d.MemoryGiB} GiB)"))}.");
Console.Error.WriteLine("Dsdr.Silo: grain state in memory and the simulated trial runner (no trainer wired in this build).");
var builder = Host.CreateApplicationBuilder();
builder.AddDsdrSilo(options, new DsdrSiloHooks
{
    Runner = silo => silo.UseTrialRunner(new SimulatedTrialRunner(options.CheckpointDirectory, new SimulationLog())),
});
await builder.Build().RunAsync();
return 0;
