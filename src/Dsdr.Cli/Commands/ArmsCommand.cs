using System.CommandLine;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;

namespace Dsdr.Cli.Commands;

/// <summary>`dsdr arms`: the registered arms and the parts they are made of, straight from Core's registries.</summary>
internal static class ArmsCommand
{
    public static Command Create(CliIo io)
    {
        var command = new Command("arms", "List the registered arms (their defaults and pins) and the advantage estimators, policy losses, loss aggregations and entropy terms a spec can name.");
        command.SetAction(_ =>
        {
            io.Output.WriteLine("arms (a trial's config: defaults ← the arm's defaults ← base ← grid point ← the arm's pins)");
            foreach (var arm in ArmPresets.All)
            {
                io.Output.WriteLine($"  {arm.Name}: {arm.Description}");
                io.Output.WriteLine($"    defaults: {Assignments(arm.Defaults)}");
                io.Output.WriteLine($"    pinned:   {Assignments(arm.Pinned)}");
            }
            Parts(io, "advantageEstimator", MethodRegistries.AdvantageEstimators);
            Parts(io, "policyLoss", MethodRegistries.PolicyLosses);
            Parts(io, "lossAggregation", MethodRegistries.LossAggregations);
            Parts(io, "entropyTerm", MethodRegistries.EntropyTerms);
            return CliExit.Ok;
        });
        return command;
    }

    private static string Assignments(IReadOnlyList<HyperAssignment> assignments) =>
        assignments.Count == 0 ? "—" : string.Join(", ", assignments);

    private static void Parts<T>(CliIo io, string key, Registry<T> registry) where T : class, IRegistered
    {
        io.Output.WriteLine($"{key} (the registered {registry.Kind}s)");
        foreach (var part in registry.All) io.Output.WriteLine($"  {part.Name}: {part.Description}");
    }
}
