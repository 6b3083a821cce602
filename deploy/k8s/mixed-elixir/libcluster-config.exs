# The Elixir side of deploy/k8s/mixed-elixir: put this in the release's
# config/runtime.exs (and start Cluster.Supervisor with these topologies in
# your application). libcluster reads Endpoints; the beamlink workers'
# headless service carries app=beamlink-worker.
import Config

config :libcluster,
  topologies: [
    shop: [
      strategy: Cluster.Strategy.Kubernetes,
      config: [
        mode: :ip,
        kubernetes_node_basename: "shop",
        kubernetes_selector: "app=shop",
        kubernetes_namespace: "beamlink",
        kubernetes_ip_lookup_mode: :endpoints,
        polling_interval: 5_000
      ]
    ],
    workers: [
      strategy: Cluster.Strategy.Kubernetes,
      config: [
        mode: :ip,
        kubernetes_node_basename: "worker",
        kubernetes_selector: "app=beamlink-worker",
        kubernetes_namespace: "beamlink",
        kubernetes_ip_lookup_mode: :endpoints,
        polling_interval: 5_000
      ]
    ]
  ]

# rel/vm.args.eex: the fixed distribution port the headless service exposes
#   -kernel inet_dist_listen_min 9000 inet_dist_listen_max 9000
