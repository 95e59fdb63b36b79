namespace Resync.Operations;

internal static partial class OperationsLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP endpoints on {Addresses}: /health/live, /health/ready, /metrics{Dashboard}.")]
    public static partial void Serving(ILogger logger, string addresses, string dashboard);
}
