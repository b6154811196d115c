namespace ComImpersonation.Analyzers.Tests.Package
{
    /// <summary>
    /// The test classes that install the packed package share one <see cref="PackedPackage"/>: the package is packed
    /// once per run, not once per class. (The classes of one collection run one after another.)
    /// </summary>
    [CollectionDefinition(Name)]
    public sealed class PackedPackageCollection : ICollectionFixture<PackedPackage>
    {
        public const string Name = "Packed package";
    }
}
