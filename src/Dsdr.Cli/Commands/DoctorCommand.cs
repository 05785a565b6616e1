using System.CommandLine;

namespace Dsdr.Cli.Commands;

internal enum DoctorLevel
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One line of the doctor's report: what was checked, what was found, and how to fix it when it is not OK.</summary>
internal sealed record DoctorCheck(string Name, DoctorLevel Level, string Finding, string? Fix = null)
{
    public static DoctorCheck Ok(string name, string finding) => new(name, DoctorLevel.Ok, finding);
    public static DoctorCheck Warn(string name, string finding, string fix) => new(name, DoctorLevel.Warn, finding, fix);
    public static DoctorCheck Fail(string name, string finding, string fix) => new(name, DoctorLevel.Fail, finding, fix);
}

/// <summary>
/// `dsdr doctor`: what this machine offers Dsdr — .NET, the libtorch backend the build referenced and what torch
/// reports (CUDA devices), whether libLibTorchSharp loads, PostgreSQL, the sentence encoder, and the cluster's slots.
/// Exit 0 when nothing FAILs, 1 otherwise.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(CliIo io)
    {
        var connection = new Option<string>("--connection")
        {
            Description = "PostgreSQL connection string to check (default: ConnectionStrings__Dsdr, then DSDR_PG; none: the embedded server).",
        };
        var api = new Option<string>("--api")
        {
            Description = $"URL of a Dsdr web host whose GET /api/pool lists the cluster's slots (default: PostgreSQL, then {DoctorChecks.DefaultApi}).",
        };
        var model = new Option<string>("--model")
        {
            Description = "A preset or a Hugging Face checkpoint folder: report the memory one trial of it needs (with --spec: that spec's first trial and slot).",
        };
        var spec = new Option<string>("--spec")
        {
            Description = "A sweep spec whose first trial's batch, model and resources.memoryGiB the memory estimate uses.",
        };
        var doctor = new Command("doctor", "Check this machine for Dsdr: .NET, libtorch/CUDA, PostgreSQL, sentence encoder, cluster slots, a model's memory.")
        {
            connection, api, model, spec,
        };
        doctor.SetAction(parse =>
        {
            var apiUrl = parse.GetValue(api);
            if (apiUrl is not null && !(Uri.TryCreate(apiUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                throw new CliInputException($"--api: '{apiUrl}' is not an http(s) URL; write e.g. --api http://localhost:5080.");
            var checks = DoctorChecks.RunAll(new DoctorRequest(parse.GetValue(connection), apiUrl, parse.GetValue(model), parse.GetValue(spec)), line => Write(io, line));
            var failed = checks.Count(c => c.Level == DoctorLevel.Fail);
            var warned = checks.Count(c => c.Level == DoctorLevel.Warn);
            io.Output.WriteLine();
            io.Output.WriteLine($"dsdr doctor: {checks.Count} checks, {failed} FAIL, {warned} WARN.");
            return failed == 0 ? CliExit.Ok : CliExit.Failed;
        });
        return doctor;
    }

    /// <summary>"OK    name        finding", then "      fix: …" under a WARN or FAIL.</summary>
    public static string Format(DoctorCheck check)
    {
        var level = check.Level switch { DoctorLevel.Ok => "OK", DoctorLevel.Warn => "WARN", _ => "FAIL" };
        var line = $"{level,-5} {check.Name,-17} {check.Finding}";
        return check.Fix is null ? line : $"{line}{Environment.NewLine}{"",-5} {"",-17} fix: {check.Fix}";
    }

    private static void Write(CliIo io, DoctorCheck check)
    {
        io.Output.WriteLine(Format(check));
        io.Output.Flush();
    }
}
