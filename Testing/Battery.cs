namespace Resync.Testing;

/// <summary>The scenarios of the conformance battery, run one after the other on one cluster.</summary>
internal sealed class Battery(ConformanceTarget target, CallbackRecorder recorder, IClusterClient client, CancellationToken cancellationToken)
{
    private static readonly string[] Phases = ["init", "process", "activate"];
    private readonly IConfigurationGrain _configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
    private readonly Random _random = new(target.Seed);

    // Processors failed in the scenario: a failed processor crashed, as a node loses its memory, so it gets no abort.
    private readonly HashSet<string> _failed = [];
    private int _writes;

    // Writes raced rounds: one in doubt reaches the replicas that refused it once their round lets them, after the round.
    private bool _inDoubtWrites;
    private readonly List<string> _notes = [];

    public async Task<ImmutableArray<ScenarioResult>> RunAsync()
    {
        var results = new List<ScenarioResult>
        {
            await ScenarioAsync("three processors join, take writes, and a fourth joins", JoinAsync),
        };
        foreach (var phase in Phases)
        {
            results.Add(await ScenarioAsync($"a join reaches {phase} on a member, then a fail supersedes it", (s, v) => ChangeInPhaseAsync(s, v, phase)));
        }

        results.Add(await ScenarioAsync("a leave supersedes a round while members are done and waiting at its barrier", AbortWhileDoneAndWaitingAsync));
        results.Add(await ScenarioAsync("a member leaves and joins again", (s, v) => OutAndBackAsync(s, v, leave: true)));
        results.Add(await ScenarioAsync("a member fails (loses its replica) and joins again", (s, v) => OutAndBackAsync(s, v, leave: false)));
        results.Add(await ScenarioAsync("a storm of twenty changes", StormAsync));
        if (target.Write is not null)
        {
            results.Add(await ScenarioAsync("writes race a series of changes", WritesRacingAsync));
        }

        return [.. results];
    }

    private async Task<ScenarioResult> ScenarioAsync(string name, Func<string, List<string>, Task<long?>> scenario)
    {
        var violations = new List<string>();
        await EmptyAsync();
        _failed.Clear();
        _notes.Clear();
        _inDoubtWrites = false;
        var mark = recorder.Mark();
        var overlaps = recorder.Overlaps.Length;
        var prefix = $"s{recorder.Mark()}";
        long? aborted = null;
        try
        {
            aborted = await scenario(prefix, violations);
        }
        catch (Exception exception) when (exception is TimeoutException or ConformanceTimeoutException)
        {
            violations.Add(exception.Message);
        }

        var final = await SettleAsync(violations);
        // Every service's callbacks: the barrier checks need the steps before the target's.
        var log = recorder.Since(mark);
        violations.AddRange(CallbackLog.Check(log, final, [target.Service]));
        violations.AddRange(CallbackLog.CheckNoActivateAfterNewerEpoch(log));
        // A round held in the last service's activation is past its last barrier: it completes, and only its abort is checked.
        if (aborted is { } epoch && (await _configuration.GetHistory()).Any(r => r.Epoch == epoch && r.Outcome == RoundPhase.Aborted))
        {
            // A replica held in a callback aborts once the callback returns, which the next round does not wait for.
            var unreached = await AbortsReachedAsync(mark, epoch);
            violations.AddRange(unreached);
            log = recorder.Since(mark);
        }

        violations.AddRange(recorder.Overlaps.Skip(overlaps));
        violations.AddRange(await DivergenceAsync(final, _inDoubtWrites));
        return new ScenarioResult(name, [.. violations], violations.Count == 0 ? [] : log) { Notes = [.. _notes] };
    }

    private async Task<long?> JoinAsync(string prefix, List<string> violations)
    {
        await JoinAndSettleAsync(violations, $"{prefix}-1", $"{prefix}-2", $"{prefix}-3");
        await WriteThroughAllAsync(violations);
        await JoinAndSettleAsync(violations, $"{prefix}-4");
        return null;
    }

    private async Task<long?> ChangeInPhaseAsync(string prefix, List<string> violations, string phase)
    {
        await JoinAndSettleAsync(violations, $"{prefix}-1", $"{prefix}-2", $"{prefix}-3");
        await WriteThroughAllAsync(violations);
        var hold = recorder.HoldNext(target.Service, $"{prefix}-2", phase);
        try
        {
            var joined = (await _configuration.Join([$"{prefix}-4"])).Configuration.Epoch;
            await WithinAsync(hold.Held, $"epoch {joined}: {target.Service}@{prefix}-2 never reached {phase}");
            await FailAsync($"{prefix}-3");
            return joined;
        }
        finally
        {
            hold.Release();
        }
    }

    private async Task<long?> AbortWhileDoneAndWaitingAsync(string prefix, List<string> violations)
    {
        await JoinAndSettleAsync(violations, $"{prefix}-1", $"{prefix}-2", $"{prefix}-3");
        var hold = recorder.HoldNext(target.Service, $"{prefix}-1", "process");
        try
        {
            var joined = (await _configuration.Join([$"{prefix}-4"])).Configuration.Epoch;
            await WithinAsync(hold.Held, $"epoch {joined}: {target.Service}@{prefix}-1 never reached process");

            // Held, this member keeps the others done and waiting at the next barrier, once they have answered done. A
            // service whose process waits for every member (a gathering) never gets there: its members wait inside process.
            var waiting = await StatusAsync(s => s.Round is { } round && round.Epoch == joined && round.Pending.SequenceEqual([$"{prefix}-1"]),
                TimeSpan.FromSeconds(5));
            _notes.Add(waiting
                ? $"epoch {joined}: every member but {prefix}-1 was done and waiting at the barrier after {target.Service} when the leave came"
                : $"epoch {joined}: the members never all waited at the barrier after {target.Service} (its process waits for every member), so the leave came while they processed");
            await _configuration.Leave([$"{prefix}-2"]);
            return joined;
        }
        finally
        {
            hold.Release();
        }
    }

    /// <summary>Whether the status meets <paramref name="condition"/> within <paramref name="wait"/>.</summary>
    private async Task<bool> StatusAsync(Func<ResyncStatus, bool> condition, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(await _configuration.GetStatus()))
            {
                return true;
            }

            await Task.Delay(10, cancellationToken);
        }

        return false;
    }

    private async Task<long?> OutAndBackAsync(string prefix, List<string> violations, bool leave)
    {
        await JoinAndSettleAsync(violations, $"{prefix}-1", $"{prefix}-2", $"{prefix}-3");
        await WriteThroughAllAsync(violations);
        var change = leave ? await _configuration.Leave([$"{prefix}-2"]) : await FailAsync($"{prefix}-2");
        await SettleAsync(violations, change.Configuration.Epoch);
        await WriteThroughAllAsync(violations);
        await JoinAndSettleAsync(violations, $"{prefix}-2");
        return null;
    }

    private async Task<long?> StormAsync(string prefix, List<string> violations)
    {
        var members = new HashSet<string>([$"{prefix}-0", $"{prefix}-1", $"{prefix}-2", $"{prefix}-3"]);
        await JoinAndSettleAsync(violations, [.. members]);
        await WriteThroughAllAsync(violations);
        for (var i = 0; i < 20; i++)
        {
            var processor = $"{prefix}-{_random.Next(6)}";
            if (members.Remove(processor))
            {
                await (_random.Next(2) == 0 ? _configuration.Leave([processor]) : FailAsync(processor));
            }
            else
            {
                members.Add(processor);
                await _configuration.Join([processor]);
            }
        }

        return null;
    }

    private async Task<long?> WritesRacingAsync(string prefix, List<string> violations)
    {
        var pool = Enumerable.Range(0, 5).Select(i => $"{prefix}-{i}").ToArray();
        await JoinAndSettleAsync(violations, pool[0], pool[1], pool[2]);
        var writes = new Random(target.Seed + 1);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var members = (await _configuration.GetConfiguration()).Members;
                if (!members.IsEmpty)
                {
                    await TryWriteAsync(members[writes.Next(members.Length)], violations);
                }
            }
        });
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var current = (await _configuration.GetConfiguration()).Members;
                var processor = pool[_random.Next(pool.Length)];
                var change = !current.Contains(processor) ? _configuration.Join([processor])
                    : current.Length > 1 ? _configuration.Leave([processor]) : _configuration.Join([pool.First(p => !current.Contains(p))]);
                var epoch = (await change).Configuration.Epoch;
                var settling = new List<string>();
                await SettleAsync(settling, epoch);
                lock (violations)
                {
                    violations.AddRange(settling);
                }
            }
        }
        finally
        {
            stop.Cancel();
            await writer;
        }

        _inDoubtWrites = true;
        return null;
    }

    /// <summary>A write while rounds run: the engine's refusals are allowed (contract item 8), anything else is a violation.</summary>
    private async Task TryWriteAsync(string processor, List<string> violations)
    {
        try
        {
            await target.Write!(client, processor, Interlocked.Increment(ref _writes));
        }
        catch (Exception exception) when (exception is RecoveryInProgressException or WriteOutcomeUnknownException or NotAMemberException)
        {
        }
        catch (Exception exception)
        {
            lock (violations)
            {
                violations.Add($"a write through {processor} while rounds ran failed: {exception.GetType().Name}: {exception.Message}");
            }
        }
    }

    /// <summary>Writes through every member between rounds, where every write must be taken.</summary>
    private async Task WriteThroughAllAsync(List<string> violations)
    {
        if (target.Write is not { } write)
        {
            return;
        }

        var configuration = await _configuration.GetConfiguration();
        foreach (var member in configuration.Members)
        {
            try
            {
                await write(client, member, Interlocked.Increment(ref _writes));
            }
            catch (Exception exception)
            {
                violations.Add($"epoch {configuration.Epoch}: a write through {member} after its round completed failed: {exception.GetType().Name}: {exception.Message}");
            }
        }
    }

    private Task<ConfigurationChange> FailAsync(string processor)
    {
        _failed.Add(processor);
        return _configuration.Fail([processor]);
    }

    /// <summary>The replicas of the superseded round that got no abort, once they all did or the timeout passed.</summary>
    private async Task<List<string>> AbortsReachedAsync(long mark, long aborted)
    {
        List<string> Unreached() => CallbackLog.CheckAbortsReached(recorder.Since(mark).Where(e => !_failed.Contains(e.Processor)), aborted);
        try
        {
            await PollAsync(() => Unreached().Count == 0).WaitAsync(target.Timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
        }

        return Unreached();
    }

    private async Task JoinAndSettleAsync(List<string> violations, params string[] processors) =>
        await SettleAsync(violations, (await _configuration.Join([.. processors])).Configuration.Epoch);

    /// <summary>Fails every member, so that the next scenario starts from an empty configuration.</summary>
    private async Task EmptyAsync()
    {
        var configuration = await _configuration.GetConfiguration();
        if (!configuration.Members.IsEmpty)
        {
            await SettleAsync([], (await _configuration.Fail(configuration.Members)).Configuration.Epoch);
        }
    }

    /// <summary>Waits until the newest configuration's round completed (a change may come while it waits) and returns that configuration.</summary>
    private async Task<Configuration> SettleAsync(List<string> violations, long epoch = 0)
    {
        while (true)
        {
            var configuration = await _configuration.GetConfiguration();
            var wanted = Math.Max(epoch, configuration.Epoch);
            try
            {
                var completed = await _configuration.WaitForCompletedRound(wanted, target.Timeout).WaitAsync(cancellationToken);
                var now = await _configuration.GetConfiguration();
                if (completed.Epoch >= now.Epoch)
                {
                    return now;
                }
            }
            catch (TimeoutException exception)
            {
                violations.Add($"epoch {wanted}: no round completed within {target.Timeout.TotalSeconds:F0} s: {exception.Message}");
                return await _configuration.GetConfiguration();
            }
        }
    }

    /// <summary>
    /// Every member's replica in the same state as the first member's; after writes in doubt, once their deliveries are
    /// done (within the timeout).
    /// </summary>
    private async Task<List<string>> DivergenceAsync(Configuration final, bool inDoubtWrites)
    {
        var deadline = DateTime.UtcNow + (inDoubtWrites ? target.Timeout : TimeSpan.Zero);
        while (true)
        {
            var states = new List<(string Member, string State)>();
            foreach (var member in final.Members)
            {
                states.Add((member, await target.ReadState(client, member)));
            }

            var differing = states.Skip(1).Where(s => s.State != states[0].State).ToList();
            if (differing.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return [.. differing.Select(s =>
                    $"epoch {final.Epoch}: {target.Service}@{s.Member} ended with '{Shorten(s.State)}', {target.Service}@{states[0].Member} with '{Shorten(states[0].State)}'")];
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static string Shorten(string state) => state.Length <= 120 ? state : state[..117] + "...";

    private async Task WithinAsync(Task task, string what)
    {
        try
        {
            await task.WaitAsync(target.Timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new ConformanceTimeoutException($"{what} within {target.Timeout.TotalSeconds:F0} s");
        }
    }

    private static async Task PollAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(10);
        }
    }

    private sealed class ConformanceTimeoutException(string message) : Exception(message);
}
