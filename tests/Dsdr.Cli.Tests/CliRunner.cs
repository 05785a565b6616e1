namespace Dsdr.Cli.Tests;

/// <summary>Runs the dsdr command line in-process with captured streams.</summary>
internal static class CliRunner
{
    public sealed record Result(int Exit, string Output, string Error);

    public static Result RunWithInput(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Run(args, new CliIo(new StringReader(stdin), output, error));
        return new Result(exit, output.ToString(), error.ToString());
    }

    public static Result Run(params string[] args) => RunWithInput("", args);
}
