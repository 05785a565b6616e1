using Dsdr.Grains;
using Dsdr.Grains.Simulation;
using Dsdr.Runner;
using Dsdr.Silo;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
using Microsoft.Extensions.Hosting;

DsdrSiloOptions options;
try
{
    // --simulated: slots run the simulated runner (sleeping steps) instead of the TorchSharp trainer.
    options = DsdrSiloOptions.Parse([.. args.Where(a => a != "--simulated")]);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine();
    Console.Error.WriteLine(DsdrSiloOptions.Usage);
    return 2;
}

var builder = Host.CreateApplicationBuilder();
var simulated = args.Contains("--simulated");
var hooks = new DsdrSiloHooks
{
    Runner = simulated
        ? silo => silo.UseTrialRunner(new SimulatedTrialRunner(options.CheckpointDirectory, new SimulationLog()))
        : silo => silo.UseTrainerRunner(new TrainerRunnerOptions(options.CheckpointDirectory)),
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
Console.Error.WriteLine(simulated
    ? "Dsdr.Silo: trials run on the SIMULATED trial runner (sleeping steps, synthetic metrics; --simulated)."
    : $"Dsdr.Silo: trials run on the TorchSharp trainer (1 thread per trial), checkpoints under {options.CheckpointDirectory}.");
hooks = hooks.WithConfiguration(builder.Configuration); // Dsdr:Membership (failure detection), Dsdr:Scheduling (leases)
builder.AddDsdrSilo(options, hooks);
await builder.Build().RunAsync();
return 0;
