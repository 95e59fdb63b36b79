using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Resync.Hosting;

/// <summary>
/// A silo's console as an operator wants it: a timestamp on every line, Resync's own lines and every warning, one line
/// per event (an exception shows as its type and first line, never a stack trace: a peer's death is an expected event),
/// and not a line per placement decision or connection. Each default is a configuration key of the lowest priority,
/// so appsettings.json, the environment and the command line override it; JSON for log shippers is the standard switch,
/// <c>--Logging:Console:FormatterName json</c>.
/// </summary>
public static class ResyncLogging
{
    /// <summary>The name of the one-line console formatter, the default of "Logging:Console:FormatterName".</summary>
    public const string FormatterName = "resync";

    /// <summary>
    /// The console's defaults, as configuration keys of the lowest priority: Information in general and from the host's
    /// lifetime, only warnings and errors from Microsoft and Orleans (only errors from Orleans' watchdog and Polly's placement retries), and the
    /// one-line formatter.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        ["Logging:LogLevel:Orleans"] = "Warning",
        // Its first check at start-up measures from the process's start of time ("has not completed for 02:12:57").
        ["Logging:LogLevel:Orleans.Runtime.Watchdog"] = "Error",
        // Orleans' placement logs two lines per decision through Polly at Information, and each retry at Warning;
        // a placement that finally fails is Orleans' own error.
        ["Logging:LogLevel:Polly"] = "Error",
        ["Logging:Console:FormatterName"] = FormatterName,
    };

    /// <summary>Puts <see cref="Defaults"/> under every other configuration source and adds the one-line console formatter.</summary>
    public static void UseResyncConsole(this IConfigurationManager configuration, ILoggingBuilder logging)
    {
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Defaults });
        logging.AddConsoleFormatter<OneLineFormatter, ConsoleFormatterOptions>();
    }

    /// <summary><c>04:12:07.512 warn Orleans.Runtime.MembershipService.MembershipTableManager: message (SocketException: Connection refused)</c></summary>
    internal sealed class OneLineFormatter() : ConsoleFormatter(FormatterName)
    {
        /// <summary>How long the same warning or error of the runtime (a failed probe, a failed table read or write) is held back after it was shown.</summary>
        private static readonly TimeSpan RepeatWindow = TimeSpan.FromSeconds(10);

        private readonly Dictionary<(string Category, int Event), (DateTime Shown, int Held)> _repeats = [];

        public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            if (message is null && logEntry.Exception is null)
            {
                return;
            }

            // A repeated event of the runtime is one line per window, with how many were held back: a silo cut off from
            // its peers printed a line per failed probe, 100 a second. Resync's own lines are each an event of their own.
            var held = 0;
            if (logEntry.LogLevel is LogLevel.Warning or LogLevel.Error && logEntry.EventId.Id != 0 && !logEntry.Category.StartsWith("Resync.", StringComparison.Ordinal))
            {
                var now = DateTime.UtcNow;
                lock (_repeats)
                {
                    var key = (logEntry.Category, logEntry.EventId.Id);
                    if (_repeats.TryGetValue(key, out var seen) && now - seen.Shown < RepeatWindow)
                    {
                        _repeats[key] = seen with { Held = seen.Held + 1 };
                        return;
                    }

                    held = seen.Held;
                    _repeats[key] = (now, 0);
                }
            }

            textWriter.Write(DateTime.Now.ToString("HH:mm:ss.fff ", System.Globalization.CultureInfo.InvariantCulture));
            textWriter.Write(Level(logEntry.LogLevel));
            textWriter.Write(' ');
            textWriter.Write(logEntry.Category);
            textWriter.Write(": ");
            textWriter.Write(OneLine(message));
            if (logEntry.Exception is { } exception)
            {
                var inner = exception.GetBaseException();
                textWriter.Write($" ({inner.GetType().Name}: {OneLine(inner.Message)})");
            }

            if (held > 0)
            {
                textWriter.Write($" [{held} more like it held back]");
            }

            textWriter.WriteLine();
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            _ => "none",
        };

        private static string OneLine(string? text) => FirstLine(text);
    }

    /// <summary>The first line of <paramref name="text"/>: Orleans puts an inner exception's whole text, stack included, in some messages.</summary>
    public static string FirstLine(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end].TrimEnd();
    }
}
