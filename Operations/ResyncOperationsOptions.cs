namespace Resync.Operations;

/// <summary>The silo's HTTP face (configuration section "Resync:Operations"): what it serves and how often the dashboard looks.</summary>
public sealed class ResyncOperationsOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Resync:Operations";

    /// <summary>Whether the live dashboard (/dashboard/) and the Orleans Dashboard (/orleans/) are served; off unless chosen.</summary>
    public bool Dashboard { get; set; }

    /// <summary>How often an open dashboard asks the cluster for its status; a change is pushed at the next look.</summary>
    public TimeSpan DashboardRefresh { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest an open dashboard goes without a snapshot, changed or not.</summary>
    public TimeSpan DashboardHeartbeat { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many ended rounds the dashboard shows by default (a request may ask for 1 to <see cref="MaxHistory"/>).</summary>
    public int DashboardHistory { get; set; } = 50;

    /// <summary>The most ended rounds a dashboard request may ask for.</summary>
    public const int MaxHistory = 500;

    /// <summary>How long a health check or a dashboard look waits for the cluster's status.</summary>
    public TimeSpan StatusTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
