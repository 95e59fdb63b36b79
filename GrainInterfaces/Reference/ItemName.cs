namespace Resync.Reference;

/// <summary>The rules for names of channels, checkpoints and sections.</summary>
public static class ItemName
{
    public const int MaxLength = 100;

    public const string Rule = "1 to 100 characters: letters, digits, '.', '_' or '-'";

    public static string Validate(string? name, string what)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength ||
            !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException($"'{name}' is not a valid {what} name: {Rule}.");
        }

        return name;
    }
}
