using Spectre.Console;

namespace Resync.Client.Output;

/// <summary>Rich output (tables, colour) where a person looks at a terminal; plain text for pipes, files and tests.</summary>
public static class Terminal
{
    public static bool IsRich(TextWriter output, bool plainRequested) =>
        !plainRequested && ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected &&
        Environment.GetEnvironmentVariable("TERM") is not ("dumb" or null or "");

    public static IAnsiConsole AnsiFor(TextWriter output) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.Detect, ColorSystem = ColorSystemSupport.Detect });

    /// <summary>Writes a table: a Spectre table in rich mode, aligned columns otherwise.</summary>
    public static void Table(TextWriter output, bool rich, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        if (rich)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var header in headers)
            {
                table.AddColumn(new TableColumn($"[bold]{Markup.Escape(header)}[/]"));
            }

            foreach (var row in all)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }

            AnsiFor(output).Write(table);
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        output.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
