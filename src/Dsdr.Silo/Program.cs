using Dsdr.Grains;
using Dsdr.Grains.Simulation;
using Dsdr.Silo;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
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

var builder = Host.CreateApplicationBuilder();
// Until the TorchSharp trainer's runner is wired in (Dsdr.Learning), slots run simulated trials.
var hooks = new DsdrSiloHooks
{
    Runner = silo => silo.UseTrialRunner(new SimulatedTrialRunner(options.CheckpointDirectory, new SimulationLog())),
};
string store;
if (options.InMemory)
    store = "grain state and reminders in memory (lost on exit), metrics in memory";
else
{
    var database = DsdrDatabaseOptions.FromConfiguration(builder.Configuration);
    if (options.DataDirectory is not null) database = database with { Embedded = database.Embedded with { DataDirectory = options.DataDirectory } };
    try
    {
        hooks = hooks.OnPostgres(options.Mode, database);
    }
    catch (ArgumentException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 2;
    }
    store = database.ConnectionString is null
        ? $"embedded PostgreSQL in {database.Embedded.DataDirectory ?? Dsdr.Storage.Embedded.EmbeddedPostgres.DefaultDataDirectory()}"
        : "PostgreSQL from ConnectionStrings:Dsdr / DSDR_PG";
    if (options.Mode == SiloMode.Cluster) store += ", cluster membership in PostgreSQL";
}

Console.Error.WriteLine($"Dsdr.Silo: node '{options.Node}', {options.Mode}, slots: {string.Join(", ", options.Devices.Select(d => $"{d.Name} ({d.MemoryGiB} GiB)"))}.");
Console.Error.WriteLine($"Dsdr.Silo: {store}.");
Console.Error.WriteLine("Dsdr.Silo: trials run on the SIMULATED trial runner (sleeping steps, synthetic metrics): the TorchSharp trainer's runner is not wired into this build yet.");
builder.AddDsdrSilo(options, hooks);
await builder.Build().RunAsync();
return 0;
