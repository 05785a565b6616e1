using Dsdr.Core.Formulas;

namespace Dsdr.Core.Tests.Formulas;

public class FormulaSetTests
{
    [Fact]
    public void Keeps_first_appearance_order_and_drops_duplicates()
    {
        var set = new FormulaSet(["b", "a", "b", "c", "a"]);
        Assert.Equal(["b", "a", "c"], set.ToArray());
        Assert.Equal(3, set.Count);
        Assert.False(set.Add("a"));
        Assert.True(set.Add("A")); // ordinal
        Assert.True(set.SetEquals(["A", "a", "b", "c"]));
        Assert.True(set.IsSupersetOf(["a"]));
        Assert.True(set.Overlaps(["z", "c"]));
    }
}
