using System.Collections;

namespace Dsdr.Core.Formulas;

/// <summary>A set of normalised formulas that enumerates in order of first appearance (ordinal comparison).</summary>
public sealed class FormulaSet : IReadOnlySet<string>
{
    private readonly List<string> _inOrder = [];
    private readonly HashSet<string> _members = new(StringComparer.Ordinal);

    public FormulaSet() { }

    public FormulaSet(IEnumerable<string> formulas)
    {
        foreach (var f in formulas) Add(f);
    }

    public static FormulaSet Empty => new();

    /// <summary>Adds <paramref name="formula"/>; false when it was already present.</summary>
    public bool Add(string formula)
    {
        ArgumentNullException.ThrowIfNull(formula);
        if (!_members.Add(formula)) return false;
        _inOrder.Add(formula);
        return true;
    }

    public int Count => _inOrder.Count;
    public bool Contains(string item) => _members.Contains(item);
    public IEnumerator<string> GetEnumerator() => _inOrder.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    public bool IsProperSubsetOf(IEnumerable<string> other) => _members.IsProperSubsetOf(other);
    public bool IsProperSupersetOf(IEnumerable<string> other) => _members.IsProperSupersetOf(other);
    public bool IsSubsetOf(IEnumerable<string> other) => _members.IsSubsetOf(other);
    public bool IsSupersetOf(IEnumerable<string> other) => _members.IsSupersetOf(other);
    public bool Overlaps(IEnumerable<string> other) => _members.Overlaps(other);
    public bool SetEquals(IEnumerable<string> other) => _members.SetEquals(other);
    public override string ToString() => "{" + string.Join(", ", _inOrder) + "}";
}
