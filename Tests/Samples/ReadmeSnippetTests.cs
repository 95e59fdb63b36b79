using System.Text.RegularExpressions;
using Resync.Bench.Processes;

namespace Resync.Tests.Samples;

/// <summary>README's code is the suite's code: each snippet marked with its file is that file, word for word.</summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public void Every_snippet_in_README_is_the_file_it_names_as_compiled_and_tested_here()
    {
        var snippets = ReadmeSnippets.All();

        Assert.Contains("Tests/Samples/MapService.cs", snippets.Keys);
        Assert.Contains("Tests/Samples/MapServiceTests.cs", snippets.Keys);
        Assert.Contains("Tests/Samples/MapConformanceTests.cs", snippets.Keys);
        foreach (var (file, code) in snippets)
        {
            Assert.True(code == File.ReadAllText(Path.Combine(Checkout.Root, file)), $"README's snippet of {file} differs from the file: copy the file into README");
        }
    }

    [Fact]
    public void The_map_service_with_its_interface_is_at_most_forty_lines() =>
        Assert.InRange(ReadmeSnippets.All()["Tests/Samples/MapService.cs"].TrimEnd().Split('\n').Length, 1, 40);
}

/// <summary>The code blocks of README that follow a <c>&lt;!-- snippet: path --&gt;</c> line, by path.</summary>
public static partial class ReadmeSnippets
{
    public static Dictionary<string, string> All() =>
        Snippet().Matches(File.ReadAllText(Path.Combine(Checkout.Root, "README.md")))
            .ToDictionary(m => m.Groups["file"].Value, m => m.Groups["code"].Value);

    [GeneratedRegex(@"<!-- snippet: (?<file>\S+) -->\n```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Snippet();
}
