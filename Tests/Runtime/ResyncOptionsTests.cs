using Microsoft.Extensions.Configuration;
using Resync.Runtime;

namespace Resync.Tests.Runtime;

public sealed class ResyncOptionsTests
{
    private static ResyncOptions Bind(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(ResyncOptions.SectionName).Get<ResyncOptions>()
        ?? throw new Xunit.Sdk.XunitException("the section bound to nothing");

    [Fact]
    public void Every_group_binds_from_its_own_configuration_section()
    {
        var options = Bind(new()
        {
            ["Resync:Rounds:StallTimeout"] = "00:00:07",
            ["Resync:Deadlines:Step"] = "00:00:03",
            ["Resync:Deadlines:SlowProcessors"] = "Wait",
            ["Resync:Changes:Settle"] = "00:00:00.002",
            ["Resync:Notices:Timeout"] = "00:00:01",
            ["Resync:Transfer:SendBatch"] = "5",
            ["Resync:Writes:Wait"] = "00:00:00.250",
            ["Resync:Silos:Processors"] = "false",
        });

        Assert.Equal(TimeSpan.FromSeconds(7), options.Rounds.StallTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Deadlines.Step);
        Assert.Equal(SlowProcessorPolicy.Wait, options.Deadlines.SlowProcessors);
        Assert.Equal(TimeSpan.FromMilliseconds(2), options.Changes.Settle);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Notices.Timeout);
        Assert.Equal(5, options.Transfer.SendBatch);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Writes.Wait);
        Assert.False(options.Silos.Processors);
        Assert.Equal(DeadlineOptions.DefaultRound, options.Deadlines.Round);
    }

    [Fact]
    public void The_validator_names_each_bad_value_by_its_configuration_key()
    {
        var options = Bind(new()
        {
            ["Resync:Deadlines:Step"] = "00:02:00",
            ["Resync:Transfer:SendBatch"] = "0",
            ["Resync:Rounds:HistoryLength"] = "0",
        });

        var result = new ResyncOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Deadlines:Step must be positive and shorter than Deadlines:Round", result.FailureMessage);
        Assert.Contains("Transfer:SendBatch", result.FailureMessage);
        Assert.Contains("Rounds:HistoryLength", result.FailureMessage);
        Assert.True(new ResyncOptionsValidator().Validate(null, new ResyncOptions()).Succeeded);
    }
}
