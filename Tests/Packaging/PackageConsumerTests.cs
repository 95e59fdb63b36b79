using System.Diagnostics;
using System.Xml.Linq;
using Resync.Bench.Processes;
using Resync.Tests.Samples;

namespace Resync.Tests.Packaging;

/// <summary>
/// Someone else can use Resync without the repository: the packages are made, and a fresh project outside the solution,
/// made of README's map service and its tests (one of them the conformance kit) and nothing of this repository, restores them from a folder feed, builds
/// and passes its test; the console installs as the .NET tool <c>resync</c> from the same feed and runs.
/// </summary>
public sealed class PackageConsumerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Packed = ["GrainInterfaces/Resync.GrainInterfaces.csproj", "Grains/Resync.Grains.csproj", "Testing/Resync.Testing.csproj", "Client/Resync.Client.csproj"];
    private readonly string _work = Directory.CreateTempSubdirectory("resync-consumer-").FullName;

    // A version of its own each run, so that no package cache serves an older build under the same number.
    private readonly string _version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    [Fact]
    public async Task A_project_outside_the_solution_builds_README_s_service_and_test_from_the_packages_alone_and_the_tool_runs()
    {
        var feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        foreach (var project in Packed)
        {
            await RunAsync("dotnet", ["pack", Path.Combine(Checkout.Root, project), "--no-build", "-c", Configuration, "-o", feed, $"-p:Version={_version}"], Checkout.Root, "packing " + project);
        }

        var consumer = Directory.CreateDirectory(Path.Combine(_work, "consumer")).FullName;
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="resync-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <IsPackable>false</IsPackable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Resync.Grains" Version="{_version}" />
                <PackageReference Include="Resync.Testing" Version="{_version}" />
                <PackageReference Include="Microsoft.Orleans.TestingHost" Version="{CentralVersion("Microsoft.Orleans.TestingHost")}" />
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="{CentralVersion("Microsoft.NET.Test.Sdk")}" />
                <PackageReference Include="xunit" Version="{CentralVersion("xunit")}" />
                <PackageReference Include="xunit.runner.visualstudio" Version="{CentralVersion("xunit.runner.visualstudio")}" />
              </ItemGroup>
            </Project>
            """);
        foreach (var (file, code) in ReadmeSnippets.All())
        {
            File.WriteAllText(Path.Combine(consumer, Path.GetFileName(file)), code);
        }

        // Outside the repository: nothing of its Directory.Build.props, Directory.Packages.props or sources reaches the consumer.
        Assert.False(File.Exists(Path.Combine(_work, "Directory.Build.props")));
        var tested = await RunAsync("dotnet", ["test", consumer], consumer, "building and testing README's map service from the packages");
        Assert.Contains("Passed:     2", tested);

        var tools = Path.Combine(_work, "tools");
        await RunAsync("dotnet", ["tool", "install", "Resync.Client", "--tool-path", tools, "--version", _version, "--add-source", feed], _work, "installing the console as a tool");
        var help = await RunAsync(Path.Combine(tools, "resync"), ["--help"], _work, "running the installed tool");
        Assert.Contains("demo", help);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>The configuration the suite was built in (Debug in CI), which the packages are made from.</summary>
    private static string Configuration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    private static string CentralVersion(string package) =>
        XDocument.Load(Path.Combine(Checkout.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == package).Attribute("Version")!.Value;

    private async Task<string> RunAsync(string program, string[] arguments, string directory, string what)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what}: '{program} {string.Join(' ', arguments)}' ran for more than 5 minutes.\n{await stdout}\n{await stderr}");
        }

        var text = await stdout + await stderr;
        output.WriteLine($"$ {program} {string.Join(' ', arguments)}\n{text}");
        Assert.True(process.ExitCode == 0, $"{what}: '{program} {string.Join(' ', arguments)}' exited with {process.ExitCode}:\n{text}");
        return text;
    }
}
