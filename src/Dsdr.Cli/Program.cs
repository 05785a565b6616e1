using System.CommandLine;

namespace Dsdr.Cli;

public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("dsdr: RL experiments on language models with DSDR, GRPO and DAPO.");
        root.Subcommands.Add(GenerateCommand.Create());
        return root;
    }
}
