// The conformance replicas of every in-process silo share one journal and one set of controls, so test
// classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
