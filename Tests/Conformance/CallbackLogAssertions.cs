using Resync.Testing;

namespace Resync.Tests.Conformance;

public static class CallbackLogAssertions
{
    /// <summary>Fails with the first violations of <see cref="CallbackLog.Check"/>, after writing the whole log to <paramref name="output"/>.</summary>
    public static void AssertLegal(IEnumerable<CallbackEntry> entries, Configuration final, IEnumerable<string> services, ITestOutputHelper? output = null)
    {
        var all = entries.ToList();
        var violations = CallbackLog.Check(all, final, services);
        if (violations.Count > 0)
        {
            foreach (var entry in all)
            {
                output?.WriteLine(entry.ToString());
            }

            Assert.Fail($"{violations.Count} contract violations in the callback log, first ones:\n{string.Join("\n", violations.Take(20))}");
        }
    }
}
