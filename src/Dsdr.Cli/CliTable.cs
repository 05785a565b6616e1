using Spectre.Console;

namespace Dsdr.Cli;

/// <summary>Plain text tables (no colour, no ANSI) for output that may go to a file or a pipe.</summary>
internal static class CliTable
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, int width = 160)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        var table = new Table { Border = TableBorder.Simple };
        foreach (var header in headers) table.AddColumn(new TableColumn(Markup.Escape(header)));
        foreach (var row in rows) table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)).ToArray());
        console.Write(table);
    }
}
