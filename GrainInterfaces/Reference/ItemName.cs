namespace Resync.Reference;

/// <summary>The rules for names of channels, checkpoints and sections.</summary>
public static class ItemName
{
    /// <summary>The longest name, in characters.</summary>
    public const int MaxLength = 100;

    /// <summary>The rule, as error messages state it.</summary>
    public const string Rule = "1 to 100 characters: letters, digits, '.', '_' or '-'";

    /// <summary>Returns <paramref name="name"/> if it follows the rule, else throws <see cref="ArgumentException"/> naming <paramref name="what"/>.</summary>
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
