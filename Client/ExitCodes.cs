namespace Resync.Client;

/// <summary>The client's exit codes, which scripts may rely on.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The command ran and found a problem (the demo's state check, an operation the cluster refused).</summary>
    public const int Failed = 1;
    /// <summary>Bad input: unknown command or option, missing argument, unknown processor, unreadable file.</summary>
    public const int BadInput = 2;
    /// <summary>No cluster answered.</summary>
    public const int Unreachable = 3;
}

/// <summary>An error the user can fix; its message is the one line the client prints.</summary>
public sealed class UserErrorException(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
