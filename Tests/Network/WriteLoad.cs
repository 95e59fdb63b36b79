using Resync.Tests.Reference;

namespace Resync.Tests.Network;

/// <summary>
/// Clients writing through the silos' processors while a fault runs: CKPT writes and EVT publishes in a bounded loop,
/// each attempt bounded in time, every acknowledgement recorded; and every epoch the configuration showed, in order.
/// <see cref="CheckAsync"/> is the checker of issue 19 point 3.
/// </summary>
public sealed class WriteLoad(ReferenceDriver driver, ITestOutputHelper output) : IAsyncDisposable
{
    public const string Channel = "net-log";
    private static readonly TimeSpan AttemptLimit = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(5);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _events = [];
    private readonly Dictionary<string, List<(byte[] Data, bool Acknowledged)>> _writes = [];
    private readonly List<long> _epochs = [];
    private readonly Dictionary<long, ImmutableArray<string>> _configurations = [];
    private readonly List<(string Processor, long Epoch, string[] Members)> _views = [];
    private Task? _running;

    public int Acknowledged { get; private set; }

    public int Attempted { get; private set; }

    /// <summary>Opens the channel and creates the checkpoints through <paramref name="processor"/>, then writes until stopped.</summary>
    public async Task StartAsync(string processor)
    {
        await ResyncDriverRetry(() => driver.Evt(processor).OpenChannel(Channel));
        for (var c = 0; c < 3; c++)
        {
            var name = $"net{c}";
            try
            {
                await ResyncDriverRetry(() => driver.Ckpt(processor).Create(name));
            }
            catch (ArgumentException exception) when (exception.Message.Contains("already exists"))
            {
                // A schedule before this one made it.
            }

            _writes.TryAdd(name, []);
        }

        _running = Task.Run(() => RunAsync(_stop.Token));
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var random = new Random(19);
        while (!stop.IsCancellationRequested)
        {
            Configuration configuration;
            try
            {
                configuration = await driver.Engine.Configuration.GetConfiguration().WaitAsync(AttemptLimit, stop);
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_epochs)
            {
                _epochs.Add(configuration.Epoch);
                _configurations[configuration.Epoch] = configuration.Members;
            }

            var silos = configuration.Members.Where(ProcessorId.IsSilo).ToList();
            if (silos.Count == 0)
            {
                await Task.Delay(50, CancellationToken.None);
                continue;
            }

            // A bounded load: a write every few milliseconds at most, so that the silos keep the machine's cores.
            await Task.Delay(Pace, CancellationToken.None);
            var through = silos[random.Next(silos.Count)];

            // What the processor activated last: CLM's view names the members its round completed with, by epoch.
            if (random.Next(4) == 0)
            {
                try
                {
                    var view = await driver.Clm(through).GetView().WaitAsync(AttemptLimit, CancellationToken.None);
                    lock (_views)
                    {
                        _views.Add((through, view.Epoch, [.. view.Members.Select(m => m.Processor)]));
                    }
                }
                catch (Exception)
                {
                    // A processor cut off or gone: nothing seen.
                }
            }

            Attempted++;
            if (random.Next(2) == 0)
            {
                var payload = ReferenceDriver.Bytes(32, random.Next());
                if (await Attempt(() => driver.Evt(through).Publish(Channel, payload, TimeSpan.FromHours(1))) is { } id)
                {
                    lock (_events)
                    {
                        _events.Add(id);
                    }
                }
            }
            else
            {
                var name = $"net{random.Next(3)}";
                var data = ReferenceDriver.Bytes(256 + random.Next(2048), random.Next());
                List<(byte[] Data, bool Acknowledged)> list;
                int index;
                lock (_writes)
                {
                    list = _writes[name];
                    index = list.Count;
                    list.Add((data, false));
                }

                if (await Attempt(async () => { await driver.Ckpt(through).Write(name, "s", data); return name; }) is not null)
                {
                    lock (_writes)
                    {
                        list[index] = (data, true);
                    }
                }
            }
        }
    }

    /// <summary>An attempt that fails or outlasts <see cref="AttemptLimit"/> is not acknowledged.</summary>
    private async Task<string?> Attempt(Func<Task<string>> write)
    {
        try
        {
            var result = await write().WaitAsync(AttemptLimit);
            Acknowledged++;
            return result;
        }
        catch (Exception)
        {
            return null;
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running;
        }
    }

    /// <summary>
    /// After the last heal and a settled round: every member's replicas are identical; every acknowledged event is on
    /// every member; every checkpoint holds its last acknowledged value or one written after it; the epochs the
    /// configuration showed never went back; every completed round had its configuration's number of members, and
    /// every view a processor activated (CLM's) named its configuration's members; no processor activated an older
    /// epoch after a newer one.
    /// </summary>
    public async Task CheckAsync(string schedule)
    {
        await StopAsync();
        await driver.WaitForIdentical($"{schedule}: after the heal");
        var configuration = await driver.Engine.Configuration.GetConfiguration();
        var history = await driver.Engine.Configuration.GetHistory();
        List<long> epochs;
        lock (_epochs)
        {
            epochs = [.. _epochs];
        }

        for (var i = 1; i < epochs.Count; i++)
        {
            Assert.True(epochs[i] >= epochs[i - 1], $"{schedule}: the configuration's epoch went back from {epochs[i - 1]} to {epochs[i]}");
        }

        // No round completed with other members than its configuration's, by name: each view a processor had activated
        // names the members of its epoch's round; and no processor activated an epoch older than one it had activated.
        lock (_epochs)
        {
            foreach (var round in history.Where(r => r.Outcome == RoundPhase.Completed && _configurations.ContainsKey(r.Epoch)))
            {
                Assert.True(_configurations[round.Epoch].Length == round.Members,
                    $"{schedule}: the round of epoch {round.Epoch} completed with {round.Members} members; its configuration had {_configurations[round.Epoch].Length}");
            }

            foreach (var (processor, epoch, members) in _views.Where(v => _configurations.ContainsKey(v.Epoch)))
            {
                Assert.True(members.SequenceEqual(_configurations[epoch]),
                    $"{schedule}: {processor} activated epoch {epoch} with [{string.Join(" ", members)}]; its configuration was [{string.Join(" ", _configurations[epoch])}]");
            }

            foreach (var seen in _views.GroupBy(v => v.Processor))
            {
                var activated = seen.Select(v => v.Epoch).ToList();
                var back = activated.Zip(activated.Skip(1)).FirstOrDefault(pair => pair.Second < pair.First);
                Assert.True(back == default, $"{schedule}: {seen.Key} activated epoch {back.Second} after it had activated {back.First}");
            }
        }

        foreach (var member in configuration.Members)
        {
            var held = (await ResyncDriverRetry(() => driver.Evt(member).ListEvents(Channel))).Select(e => e.Id).ToHashSet();
            var lost = _events.Where(e => !held.Contains(e)).ToList();
            Assert.True(lost.Count == 0, $"{schedule}: {member} lost {lost.Count} acknowledged events: {string.Join(" ", lost)}");
            foreach (var (name, list) in _writes)
            {
                var last = list.FindLastIndex(w => w.Acknowledged);
                if (last < 0)
                {
                    continue;
                }

                var value = await ResyncDriverRetry(() => driver.Ckpt(member).Read(name, "s"));
                Assert.True(list.Skip(last).Any(w => w.Data.AsSpan().SequenceEqual(value)),
                    $"{schedule}: {member} holds a value of {name} older than its last acknowledged write (attempt {last} of {list.Count})");
            }
        }

        output.WriteLine($"{schedule}: {Acknowledged} of {Attempted} writes acknowledged, all present on the {configuration.Members.Length} members of epoch {configuration.Epoch}; epochs seen {epochs.FirstOrDefault()}..{epochs.LastOrDefault()}; {_views.Count} activated views checked by name");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private static Task<T> ResyncDriverRetry<T>(Func<Task<T>> call) => Infrastructure.ResyncDriver.Retrying(call);

    private static Task ResyncDriverRetry(Func<Task> call) => Infrastructure.ResyncDriver.Retrying(async () => { await call(); return 0; });
}
