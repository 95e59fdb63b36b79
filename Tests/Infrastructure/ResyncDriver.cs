using Orleans.Runtime;
using Resync.Tests.Conformance;

namespace Resync.Tests.Infrastructure;

/// <summary>
/// Drives a cluster from the client side and checks what the contract promises about it.
/// <paramref name="moveEngineClock"/> moves the engine's clock of a cluster whose clock only the tests move.
/// </summary>
public sealed class ResyncDriver(IClusterClient client, Action? moveEngineClock = null)
{
    public static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(20);

    public IConfigurationGrain Configuration => client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);

    /// <summary>The silos' side of the configuration grain (proposals, arrivals, departures, rehearsals).</summary>
    internal IConfigurationMembership Membership => client.GetGrain<IConfigurationMembership>(IConfigurationGrain.Key);

    /// <summary>The engine's side of the configuration grain (evictions, round reports).</summary>
    internal IConfigurationCallbacks Callbacks => client.GetGrain<IConfigurationCallbacks>(IConfigurationGrain.Key);

    public Task<ConfigurationChange> Join(params string[] processors) => Configuration.Join([.. processors]);

    public Task<ConfigurationChange> Leave(params string[] processors) => Configuration.Leave([.. processors]);

    public Task<ConfigurationChange> Fail(params string[] processors) => Configuration.Fail([.. processors]);

    /// <summary>
    /// The status, or a <see cref="TimeoutException"/> after <see cref="StatusCallTimeout"/>: a request that a
    /// gateway forwarded to a silo that then crashed is never answered, and Orleans would let the caller wait
    /// for its whole response timeout (30 s) before it gives up.
    /// </summary>
    public Task<ResyncStatus> Status() => Configuration.GetStatus().WaitAsync(StatusCallTimeout);

    public static readonly TimeSpan StatusCallTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Waits for the round of <paramref name="epoch"/> (or a later one) to complete.</summary>
    /// <remarks>Also bounded here, in real time: the engine's own timeout runs on its clock, which a test may hold still.</remarks>
    public Task<RoundSummary> WaitForRound(long epoch) =>
        Configuration.WaitForCompletedRound(epoch, RoundTimeout).WaitAsync(RoundTimeout + TimeSpan.FromSeconds(5));

    /// <summary>Waits, bounded, for a hold to be reached; the failure names the phase.</summary>
    public static async Task Reached(Hold hold, string phase)
    {
        try
        {
            await hold.Reached.WaitAsync(RoundTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{phase}: the round never reached the {hold} within {RoundTimeout.TotalSeconds} s.");
        }
    }

    /// <summary>
    /// Waits, bounded, until the status satisfies <paramref name="condition"/>; the failure names the phase
    /// and shows the last status seen. <paramref name="betweenPolls"/> runs after every status that does not
    /// satisfy it (a test that moves the engine's clock moves it there).
    /// </summary>
    public async Task<ResyncStatus> WaitForStatus(Func<ResyncStatus, bool> condition, string phase, Action? betweenPolls = null)
    {
        var deadline = DateTime.UtcNow + RoundTimeout;
        ResyncStatus? status = null;
        while (true)
        {
            status = await Retrying(Status) ?? status;
            if (status is not null && condition(status))
            {
                return status;
            }

            if (DateTime.UtcNow > deadline)
            {
                var round = status?.Round;
                Assert.Fail($"{phase}: status never matched within {RoundTimeout.TotalSeconds} s; last: epoch {status?.Configuration.Epoch} [{string.Join(" ", status?.Configuration.Members ?? [])}], " +
                    $"phase {round?.Phase}, step {round?.Step} ({round?.Service}), pending [{string.Join(",", round?.Pending ?? [])}].");
            }

            betweenPolls?.Invoke();
            await Task.Delay(5);
        }
    }

    /// <summary>Waits, bounded, for the round of <paramref name="epoch"/> to be in the history (it ends, then is reported one-way).</summary>
    public Task<RoundSummary> WaitForEnded(long epoch) =>
        WaitForHistory(r => r.Epoch == epoch, $"the round of epoch {epoch} never ended");

    /// <summary>
    /// Waits, bounded, for a round in the history that <paramref name="match"/> accepts; <paramref name="betweenPolls"/>
    /// runs after every history without one. The failure says <paramref name="failure"/>.
    /// </summary>
    private async Task<RoundSummary> WaitForHistory(Func<RoundSummary, bool> match, string failure, Action? betweenPolls = null)
    {
        var history = await Until(() => Retrying(() => Configuration.GetHistory().WaitAsync(StatusCallTimeout)), h => h.Any(match), _ => failure, betweenPolls);
        return history.First(match);
    }

    /// <summary>
    /// Polls <paramref name="poll"/> until <paramref name="done"/> accepts its answer, for at most <see cref="RoundTimeout"/>;
    /// the failure says <paramref name="failure"/> of the last answer. <paramref name="betweenPolls"/> runs after every answer refused.
    /// </summary>
    public static async Task<T> Until<T>(Func<Task<T>> poll, Func<T, bool> done, Func<T, string> failure, Action? betweenPolls = null)
    {
        var deadline = DateTime.UtcNow + RoundTimeout;
        while (true)
        {
            var answer = await poll();
            if (done(answer))
            {
                return answer;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{failure(answer)} within {RoundTimeout.TotalSeconds} s");
            betweenPolls?.Invoke();
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Runs a client call, again after a short pause while it fails the way calls fail right after a silo
    /// crashed (a connection to the dead silo, a message rejected, a timeout); the last failure escapes.
    /// </summary>
    public static async Task<T> Retrying<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (attempt < 20 && exception is OrleansMessageRejectionException or Orleans.Runtime.SiloUnavailableException
                or Orleans.Runtime.Messaging.ConnectionFailedException or TimeoutException)
            {
                await Task.Delay(250);
            }
        }
    }

    public IConformanceService Replica(string service, string processor) =>
        client.GetGrain<IConformanceService>(processor, ServiceClass(service));

    /// <summary>Every member's replica of every service serves the final configuration's member set.</summary>
    public async Task AssertConverged(Configuration configuration)
    {
        foreach (var service in ResyncTestSilo.Services)
        {
            foreach (var member in configuration.Members)
            {
                var state = await Replica(service, member).GetState();
                Assert.True(
                    state.Epoch == configuration.Epoch && state.Members.SequenceEqual(configuration.Members),
                    $"{service}@{member} serves epoch {state.Epoch} [{string.Join(",", state.Members)}], expected epoch {configuration.Epoch} [{string.Join(",", configuration.Members)}]");
            }
        }
    }

    /// <summary>
    /// Crashes every member and waits until the round of the current epoch has completed, so that the next test
    /// starts from an empty configuration with no round in flight and no start deferred. On a cluster whose
    /// engine clock only the tests move, the clock moves while it waits: a test may end while a round is in
    /// flight (a renewal after a silo stopped, say), and a change then is part of a burst, whose round starts
    /// only once the clock has passed the settle time.
    /// </summary>
    public async Task Reset()
    {
        ConformanceControl.Reset();
        var configuration = await Configuration.GetConfiguration();
        if (!configuration.Members.IsEmpty)
        {
            configuration = (await Configuration.Fail(configuration.Members)).Configuration;
        }

        if (configuration.Epoch == 0)
        {
            return;
        }

        if (moveEngineClock is null)
        {
            await WaitForRound(configuration.Epoch);
            return;
        }

        await WaitForHistory(r => r.Epoch >= configuration.Epoch && r.Outcome == RoundPhase.Completed,
            $"reset: no round of epoch {configuration.Epoch} or later completed, with the engine clock moving", moveEngineClock);
    }

    private static string ServiceClass(string service) => service switch
    {
        "conf-a" => typeof(ConformanceA).FullName!,
        "conf-b" => typeof(ConformanceB).FullName!,
        "conf-c" => typeof(ConformanceC).FullName!,
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, "not a conformance service"),
    };
}
