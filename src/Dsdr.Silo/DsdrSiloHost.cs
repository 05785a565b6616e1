using Dsdr.Grains;
using Dsdr.Runner.Simulation;
using Dsdr.Runner;
using Dsdr.Silo.Observability;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Dsdr.Silo;

/// <summary>
/// Dsdr.Silo's worker process: the silo with this node's learner slots, and a small HTTP server on
/// <see cref="DsdrSiloOptions.HttpPort"/> for GET /health/live, /health/ready and /metrics.
/// </summary>
public static class DsdrSiloHost
{
    public const string ServiceName = "dsdr-worker";

    /// <summary>Parses the command line, builds and runs the worker until it is stopped. Bad arguments exit 2 with the usage text.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error)
    {
        var host = Create(args, error);
        if (host is null) return 2;
        await host.RunAsync();
        return 0;
    }

    /// <summary>
    /// The worker host for <paramref name="args"/> (Dsdr.Silo's options plus --simulated), or null after writing the
    /// reason to <paramref name="error"/>. <paramref name="configuration"/> is laid over the environment (tests pass
    /// ConnectionStrings:Dsdr here instead of setting DSDR_PG for the whole process).
    /// </summary>
    public static WebApplication? Create(string[] args, TextWriter error, IReadOnlyDictionary<string, string?>? configuration = null)
    {
        DsdrSiloOptions options;
        try
        {
            // --simulated: slots run the simulated runner (sleeping steps) instead of the TorchSharp trainer.
            options = DsdrSiloOptions.Parse([.. args.Where(a => a != "--simulated")]);
        }
        catch (ArgumentException ex)
        {
            error.WriteLine(ex.Message);
            error.WriteLine();
            error.WriteLine(DsdrSiloOptions.Usage);
            return null;
        }

        // No args: the silo's options are not configuration keys.
        var builder = WebApplication.CreateBuilder();
        if (configuration is not null) builder.Configuration.AddInMemoryCollection(configuration);
        var simulated = args.Contains("--simulated");
        IReadOnlyList<string>? dataRoots;
        try
        {
            dataRoots = Core.Sweeps.SpecPaths.ParseRoots(builder.Configuration[Core.Sweeps.SpecPaths.RootsSetting]);
        }
        catch (ArgumentException ex)
        {
            error.WriteLine($"{ex.Message} (env Dsdr__DataRoots)");
            return null;
        }
        var hooks = new DsdrSiloHooks
        {
            Runner = simulated
                ? silo => silo.UseSimulatedRunner(options.CheckpointDirectory)
                : silo => silo.UseTrainerRunner(new TrainerRunnerOptions(options.CheckpointDirectory, DataRoots: dataRoots)),
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
                error.WriteLine(ex.Message);
                return null;
            }
            store = database.ConnectionString is null
                ? $"embedded PostgreSQL in {database.Embedded.DataDirectory ?? Dsdr.Storage.Embedded.EmbeddedPostgres.DefaultDataDirectory()}"
                : "PostgreSQL from ConnectionStrings:Dsdr / DSDR_PG";
            if (options.Mode == SiloMode.Cluster) store += ", cluster membership in PostgreSQL";
        }

        error.WriteLine($"Dsdr.Silo: node '{options.Node}', {options.Mode}, slots: {string.Join(", ", options.Devices.Select(d => $"{d.Name} ({d.MemoryGiB} GiB)"))}.");
        error.WriteLine($"Dsdr.Silo: {store}.");
        error.WriteLine(simulated
            ? "Dsdr.Silo: trials run on the SIMULATED trial runner (sleeping steps, synthetic metrics; --simulated)."
            : $"Dsdr.Silo: trials run on the TorchSharp trainer (1 thread per trial), checkpoints under {options.CheckpointDirectory}.");
        error.WriteLine($"Dsdr.Silo: health and metrics on http://*:{options.HttpPort} ({DsdrObservabilityExtensions.LivePath}, {DsdrObservabilityExtensions.ReadyPath}, {DsdrObservabilityExtensions.MetricsPath}).");

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(options.HttpPort));
        hooks = hooks.WithConfiguration(builder.Configuration); // Dsdr:Membership (failure detection), Dsdr:Scheduling (leases)
        builder.AddDsdrSilo(options, hooks);
        builder.AddDsdrObservability(ServiceName);
        var app = builder.Build();
        app.MapDsdrOperations();
        return app;
    }
}
