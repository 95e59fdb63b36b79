using System.Diagnostics;

namespace Resync.Bench.Processes;

/// <summary>
/// A throwaway PostgreSQL, started with the repository's <c>scripts/postgres-temp.sh</c> by a program that
/// runs from a checkout: the benchmark's three-silo scenario when no connection string was given, and the tests.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _script;
    private readonly string _folder;

    private ThrowawayPostgres(string script, string connectionString, string folder)
    {
        _script = script;
        ConnectionString = connectionString;
        _folder = folder;
    }

    public string ConnectionString { get; }

    /// <summary>Starts a server, or says in <paramref name="why"/> why it cannot.</summary>
    public static async Task<(ThrowawayPostgres? Server, string Why)> TryStartAsync(CancellationToken cancellationToken)
    {
        var script = Path.Combine(Checkout.Root, "scripts", "postgres-temp.sh");
        if (!File.Exists(script))
        {
            return (null, $"no {script} to start a throwaway server");
        }

        var (exit, output) = await RunAsync(script, ["start"], cancellationToken);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        var connection = lines.FirstOrDefault(l => l.StartsWith("RESYNC_POSTGRES=", StringComparison.Ordinal))?["RESYNC_POSTGRES=".Length..];
        var folder = lines.FirstOrDefault(l => l.StartsWith("RESYNC_POSTGRES_DIR=", StringComparison.Ordinal))?["RESYNC_POSTGRES_DIR=".Length..];
        return exit == 0 && connection is not null && folder is not null
            ? (new ThrowawayPostgres(script, connection, folder), "")
            : (null, $"scripts/postgres-temp.sh could not start PostgreSQL: {output.Trim()}");
    }

    public async ValueTask DisposeAsync() => await RunAsync(_script, ["stop", _folder], CancellationToken.None);

    private static async Task<(int Exit, string Output)> RunAsync(string script, string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output + await error);
    }
}

/// <summary>The repository checkout that a program built in it runs from (PROJECT/bin/CONFIGURATION/FRAMEWORK).</summary>
public static class Checkout
{
    public static string Root { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", ".."));
}
