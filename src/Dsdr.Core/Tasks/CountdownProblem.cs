using System.Globalization;

namespace Dsdr.Core.Tasks;

/// <summary>
/// A Countdown instance: reach <see cref="Target"/> using every one of <see cref="Numbers"/> exactly once
/// with + − × ÷ and parentheses. With <see cref="IntegerIntermediates"/> every division must be exact.
/// Gold text: "3 5 8 -> 64" (integer intermediates) or "3 5 8 -> 64 rational" (fractions allowed).
/// </summary>
public sealed record CountdownProblem(int[] Numbers, int Target, bool IntegerIntermediates = true)
{
    public const int MinCount = 2;
    public const int MaxCount = 5;
    private const string Arrow = "->";
    private const string RationalMarker = "rational";

    /// <summary>Separators of the compact prompt: "3 5 8=64:".</summary>
    public const char CompactTargetSeparator = '=';
    public const char CompactAnswerSeparator = ':';

    /// <summary>Every character a compact prompt or a compact answer uses: digits, + - * / ( ), space, = and :.</summary>
    public const string CompactAlphabet = "0123456789+-*/() =:";

    public int[] Numbers { get; init => field = Validate(value); } = Validate(Numbers);

    private static int[] Validate(int[] numbers)
    {
        ArgumentNullException.ThrowIfNull(numbers);
        if (numbers.Length is < MinCount or > MaxCount)
            throw new ArgumentException($"A Countdown problem has {MinCount} to {MaxCount} numbers, got {numbers.Length}.", nameof(numbers));
        if (numbers.Any(n => n < 0))
            throw new ArgumentException($"Countdown numbers must be non-negative, got {string.Join(' ', numbers)}.", nameof(numbers));
        return [.. numbers];
    }

    /// <summary>The gold text, e.g. "3 5 8 -> 64".</summary>
    public string Gold => Format(this);

    /// <summary>Numbers sorted plus target and rule: equal for problems that differ only in the order of the numbers.</summary>
    public string Identity => $"{string.Join(' ', Numbers.Order())} {Arrow} {Target}{(IntegerIntermediates ? "" : " " + RationalMarker)}";

    public static string Format(CountdownProblem p) =>
        $"{string.Join(' ', p.Numbers)} {Arrow} {p.Target.ToString(CultureInfo.InvariantCulture)}{(p.IntegerIntermediates ? "" : " " + RationalMarker)}";

    public static bool TryParse(string? gold, out CountdownProblem problem, out string error)
    {
        problem = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(gold)) { error = "gold is empty"; return false; }
        var halves = gold.Split(Arrow);
        if (halves.Length != 2) { error = $"expected exactly one \"{Arrow}\""; return false; }
        var numbers = new List<int>();
        foreach (var part in halves[0].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            { error = $"\"{part}\" is not a non-negative integer"; return false; }
            numbers.Add(n);
        }
        if (numbers.Count is < MinCount or > MaxCount) { error = $"expected {MinCount} to {MaxCount} numbers, got {numbers.Count}"; return false; }
        var right = halves[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var integer = true;
        if (right.Length == 2 && right[1] == RationalMarker) integer = false;
        else if (right.Length != 1) { error = $"expected a target integer after \"{Arrow}\", optionally followed by \"{RationalMarker}\""; return false; }
        if (!int.TryParse(right[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var target))
        { error = $"target \"{right[0]}\" is not an integer"; return false; }
        problem = new CountdownProblem([.. numbers], target, integer);
        return true;
    }

    public static CountdownProblem Parse(string gold) =>
        TryParse(gold, out var p, out var error)
            ? p
            : throw new ArgumentException($"Countdown gold \"{gold}\" is malformed: {error}. Expected e.g. \"3 5 8 -> 64\" or \"3 5 8 -> 64 {RationalMarker}\".", nameof(gold));

    /// <summary>
    /// Compact: "3 5 8=64:" (the model answers with the bare expression, e.g. "(3+5)*8", then EOS).
    /// Verbose: a sentence asking for the final expression after "Answer:" or in \boxed{}.
    /// </summary>
    public string Prompt(PromptStyle style) => style switch
    {
        PromptStyle.Compact => $"{string.Join(' ', Numbers)}{CompactTargetSeparator}{Target}{CompactAnswerSeparator}",
        PromptStyle.Verbose =>
            $"Using the numbers {string.Join(", ", Numbers)}, each exactly once, and only the operations +, -, *, / with parentheses, " +
            $"write an arithmetic expression that equals {Target}." +
            (IntegerIntermediates ? " Every intermediate result must be a whole number." : "") +
            " Think it through, then give the final expression after \"Answer:\" or inside \\boxed{}.",
        _ => throw new ArgumentOutOfRangeException(nameof(style), style, "Unknown prompt style."),
    };

    public Problem ToProblem(PromptStyle style, string? id = null, string dataset = CountdownTask.TaskName) =>
        new(dataset, id ?? Identity, Prompt(style), Gold);

    public bool Equals(CountdownProblem? other) =>
        other is not null && Target == other.Target && IntegerIntermediates == other.IntegerIntermediates && Numbers.SequenceEqual(other.Numbers);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var n in Numbers) hash.Add(n);
        hash.Add(Target);
        hash.Add(IntegerIntermediates);
        return hash.ToHashCode();
    }

    public override string ToString() => Gold;
}
