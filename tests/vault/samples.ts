// Vault answers shaped as in Vault's API docs (developer.hashicorp.com/vault/api-docs), for the client tests.
export const TOKEN = "hvs.CAESIControllerTokenMustNeverBePrinted";
export const WRAPPING_TOKEN = "hvs.CAESIWrappingTokenMustNeverBePrinted";
export const SECRET_ID = "841771dc-11c9-bbc7-bcac-6a3945a69cd9-secret";
export const ROLE_ID = "988a9dfd-ea69-4a53-6cb6-9d6b86474bba-roleid";
export const CLIENT_TOKEN = "hvs.CAESILoginTokenMustNeverBePrinted";

// auth/token: "Lookup a token (self)"
export const lookupSelfBody = {
  data: {
    accessor: "8609694a-cdbc-db9b-d345-e782dbb562ed",
    creation_time: 1523979354,
    creation_ttl: 2764800,
    display_name: "token-kubernetes-vault",
    entity_id: "",
    expire_time: "2018-05-19T11:35:54.466476215-04:00",
    explicit_max_ttl: 0,
    id: TOKEN,
    issue_time: "2018-04-17T11:35:54.466476078-04:00",
    meta: null,
    num_uses: 0,
    orphan: false,
    path: "auth/token/create/kubernetes-vault",
    period: 86400,
    policies: ["default", "kubernetes-vault"],
    renewable: true,
    role: "kubernetes-vault",
    ttl: 86399,
    type: "service",
  },
};

// auth/token: "Renew a token (self)"
export const renewSelfBody = {
  auth: {
    client_token: TOKEN,
    policies: ["default", "kubernetes-vault"],
    metadata: null,
    lease_duration: 86400,
    renewable: true,
    accessor: "8609694a-cdbc-db9b-d345-e782dbb562ed",
  },
};

// auth/token: "Read token role"
export const tokenRoleBody = {
  data: {
    allowed_policies: ["kubernetes-vault"],
    disallowed_policies: [],
    explicit_max_ttl: 0,
    name: "kubernetes-vault",
    orphan: false,
    path_suffix: "",
    period: 86400,
    renewable: true,
    token_explicit_max_ttl: 0,
    token_period: 86400,
    token_type: "default-service",
  },
};

// approle: "Generate new secret ID" answered with response wrapping (concepts/response-wrapping)
export const wrappedSecretIdBody = {
  request_id: "",
  lease_id: "",
  renewable: false,
  lease_duration: 0,
  data: null,
  wrap_info: {
    token: WRAPPING_TOKEN,
    accessor: "195bbd5b-1b8f-4a3c-2a89-8c0b5d94a9e7",
    ttl: 60,
    creation_time: "2024-01-02T03:04:05.123456789Z",
    creation_path: "auth/approle/role/sample-app/secret-id",
    wrapped_accessor: "84896a0c-1347-aa90-a4f6-aca8b7558780",
  },
  warnings: null,
  auth: null,
};

// system/wrapping-lookup
export const wrappingLookupBody = {
  data: {
    creation_path: "auth/approle/role/sample-app/secret-id",
    creation_time: "2024-01-02T03:04:05.123456789Z",
    creation_ttl: 60,
  },
};

// system/wrapping-unwrap of an AppRole secret-id response
export const unwrappedSecretIdBody = {
  data: {
    secret_id: SECRET_ID,
    secret_id_accessor: "84896a0c-1347-aa90-a4f6-aca8b7558780",
    secret_id_num_uses: 1,
    secret_id_ttl: 120,
  },
};

// approle: "Login with AppRole"
export const loginBody = {
  auth: {
    renewable: true,
    lease_duration: 1200,
    metadata: { role_name: "sample-app", pod: "default/web-0" },
    policies: ["default", "sample-app"],
    accessor: "fd6c9a00-d2dc-3b11-0be5-af7ae0e1d374",
    client_token: CLIENT_TOKEN,
  },
};

// system/health, active node
export const healthBody = {
  initialized: true,
  sealed: false,
  standby: false,
  performance_standby: false,
  replication_performance_mode: "disabled",
  replication_dr_mode: "disabled",
  server_time_utc: 1516639589,
  version: "1.17.2",
  cluster_name: "vault-cluster-3bd69ca2",
  cluster_id: "00af5aa8-c87d-b5fc-e82e-97cd8dfaf731",
};
