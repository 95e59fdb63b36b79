using System.Net;
using System.Net.Sockets;

namespace Resync.Bench.Scenarios;

/// <summary>
/// The benchmark's --telemetry: an OTLP/HTTP receiver on 127.0.0.1 that takes every export (traces, metrics) and
/// answers 200, counting requests and bytes, with the standard variables set so that the silos this process hosts
/// or starts export to it. It measures what exporting costs a round, not what a collector does with it.
/// </summary>
internal sealed class OtlpSink : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;
    private long _requests;
    private long _bytes;

    private OtlpSink(int port)
    {
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }

    public long Requests => Interlocked.Read(ref _requests);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Starts the sink and points OTEL_EXPORTER_OTLP_ENDPOINT (HTTP/protobuf, exported every second) of this process and its children at it.</summary>
    public static OtlpSink Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var sink = new OtlpSink(port);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", sink.Endpoint);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        Environment.SetEnvironmentVariable("OTEL_METRIC_EXPORT_INTERVAL", "1000");
        return sink;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }

            try
            {
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await context.Request.InputStream.ReadAsync(buffer)) > 0)
                {
                    Interlocked.Add(ref _bytes, read);
                }

                Interlocked.Increment(ref _requests);
                context.Response.StatusCode = 200;
            }
            catch (Exception) when (_listener.IsListening)
            {
                // One export that broke off (its sender gave up) does not end the receiver.
                context.Response.StatusCode = 400;
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var name in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_METRIC_EXPORT_INTERVAL" })
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
