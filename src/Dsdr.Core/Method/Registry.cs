using System.Reflection;

namespace Dsdr.Core.Method;

/// <summary>A piece of the method a spec selects by name: an arm, an advantage estimator, a policy loss, an aggregation, an entropy term.</summary>
public interface IRegistered
{
    /// <summary>The name specs, tables and forms use, e.g. "rloo".</summary>
    string Name { get; }

    /// <summary>One line for the dashboard, the CLI and the docs.</summary>
    string Description { get; }
}

/// <summary>
/// Marks a public static property whose value a <see cref="Registry{T}"/> of its type collects: the C# form of verl's
/// <c>@register_adv_est("grpo")</c>. A new estimator is its registered property plus its test; no list elsewhere names it.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RegisteredAttribute : Attribute
{
    /// <summary>Place in listings (result tables, forms, "use one of …"): lower first, ties by name.</summary>
    public int Order { get; init; } = 100;
}

/// <summary>
/// Every registered item of one kind, by name: the values of the <see cref="RegisteredAttribute"/> properties of type
/// <typeparamref name="T"/> in the given assemblies, ordered by <see cref="RegisteredAttribute.Order"/> then name.
/// </summary>
public sealed class Registry<T> where T : class, IRegistered
{
    private readonly Dictionary<string, T> byName;
    private readonly List<string> names;

    /// <param name="kind">What an item is, for messages: "arm", "advantage estimator".</param>
    public Registry(string kind, IEnumerable<T> items)
    {
        Kind = kind;
        All = items.ToList();
        byName = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var item in All)
        {
            if (string.IsNullOrWhiteSpace(item.Name))
                throw new InvalidOperationException($"A registered {kind} ({item.GetType().Name}) has no name; give it the name specs use.");
            if (!byName.TryAdd(item.Name, item))
                throw new InvalidOperationException($"Two registered {kind}s are named \"{item.Name}\" ({byName[item.Name].GetType().Name} and {item.GetType().Name}); rename one.");
        }
        names = All.Select(i => i.Name).ToList();
    }

    /// <summary>The registered items of <typeparamref name="T"/> declared in <paramref name="assemblies"/>.</summary>
    public static Registry<T> Discover(string kind, params Assembly[] assemblies)
    {
        var found =
            from assembly in assemblies
            from type in assembly.GetTypes()
            from property in type.GetProperties(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
            let registration = property.GetCustomAttribute<RegisteredAttribute>()
            where registration is not null && typeof(T).IsAssignableFrom(property.PropertyType)
            select (registration.Order, Item: property.GetValue(null) as T
                ?? throw new InvalidOperationException($"{type.FullName}.{property.Name} is registered as a {kind} but is null."));
        return new Registry<T>(kind, found.OrderBy(f => f.Order).ThenBy(f => f.Item.Name, StringComparer.Ordinal).Select(f => f.Item));
    }

    public string Kind { get; }

    /// <summary>The items, in listing order.</summary>
    public IReadOnlyList<T> All { get; }

    /// <summary>Their names, in listing order.</summary>
    public IReadOnlyList<string> Names => names;

    public bool TryGet(string name, out T item) => byName.TryGetValue(name, out item!);

    /// <summary>The item named <paramref name="name"/>; an unknown name throws listing the known ones.</summary>
    public T Get(string name) => TryGet(name, out var item) ? item : throw new ArgumentException(UnknownReason(name), nameof(name));

    /// <summary>"unknown arm "x"; use one of grpo, dapo, …".</summary>
    public string UnknownReason(string name) => $"unknown {Kind} \"{name}\"; use one of {string.Join(", ", Names)}";

    /// <summary>Position of the named item in <see cref="All"/>, or −1.</summary>
    public int IndexOf(string name) => names.IndexOf(name);
}
