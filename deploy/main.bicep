// Configurator on Azure (docs/deploy.md): one resource group holding
//   - Log Analytics + Application Insights (the apps' traces), a Container Apps environment;
//   - container app `api` (`serve --role api`, public ingress, the web app at /),
//     container app `worker` (`serve --role worker`, no ingress, scaled by KEDA on claimable jobs),
//     Container Apps job `migrate` (`server_entry.py migrate`, started before each rollout);
//   - PostgreSQL Flexible Server 15 with the `configurator` database;
//   - a storage account with the blob container the service writes and a CORS rule for the web origins;
//   - a registry for the image, a Key Vault with the secrets, one user-assigned identity that
//     pulls the image and reads the secrets.
// Every environment variable given to a container is a setting of configurator_addon/settings.py
// (tests/test_deploy.py checks it).

targetScope = 'resourceGroup'

@description('Short name of this environment, used in resource names (production, staging).')
@minLength(2)
@maxLength(12)
param environmentName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('The image to run, from the registry this template makes: <registry>.azurecr.io/configurator:<tag> (docs/deploy.md §3).')
param image string = ''

@description('Deploy the container apps and the migration job. False on the very first deployment, which makes the registry the image is then pushed to.')
param deployApps bool = true

@description('The origins of the web pages that use the API and load GLBs: CORS_ORIGINS of the API, the CORS rule of the storage account.')
@minLength(1)
param webOrigins array

@description('How clients reach the API (PUBLIC_BASE_URL), e.g. https://configurator.example.com; empty: the container app\'s own address.')
param publicBaseUrl string = ''

@description('CSP frame-ancestors of the web app (FRAME_ANCESTORS): the sites allowed to embed /embed/ pages.')
param frameAncestors string = '\'self\''

@description('PostgreSQL administrator login; the service connects as it (it is not a superuser on Flexible Server).')
param postgresAdminLogin string = 'configurator'

@description('PostgreSQL administrator password. Keep it in your own secret store and pass the same one on every deployment.')
@secure()
@minLength(16)
param postgresAdminPassword string

@description('Compute of the database server.')
param postgresSkuName string = 'Standard_D2ds_v5'

@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'GeneralPurpose'

param postgresStorageGb int = 64

@description('Point-in-time restore window of the database, in days (7-35).')
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 14

param postgresGeoRedundantBackup bool = false

@allowed([
  'Disabled'
  'ZoneRedundant'
  'SameZone'
])
param postgresHighAvailability string = 'ZoneRedundant'

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_ZRS'

@description('Soft delete of blobs and containers, in days: how long a deleted GLB or template can be brought back.')
param blobSoftDeleteDays int = 14

@description('SMTP_URL for password resets and invitations (smtps://user:password@host:465); empty: mails are logged, not sent.')
@secure()
param smtpUrl string = ''

@description('MAIL_FROM of those mails.')
param mailFrom string = 'Configurator <no-reply@localhost>'

@description('API replicas: at least 2, so one can drain while the other answers.')
@minValue(2)
param apiMinReplicas int = 2

param apiMaxReplicas int = 6

@description('CPU cores and memory of an API replica: besides HTTP it inspects uploaded templates, each in a confined Blender of its own (INSPECTION_CONCURRENCY at a time, bounded in time and geometry).')
param apiCpu string = '2.0'

param apiMemory string = '4Gi'

@description('Concurrent HTTP requests per API replica before another is started.')
param apiConcurrentRequests int = 100

@description('Worker processes per worker replica (BLENDER_MAX_CONCURRENT): each runs one job at a time.')
@minValue(1)
param workerProcessesPerReplica int = 2

@description('Worker replicas kept warm when the queue is empty (0: scale to zero; the first job then waits for a cold start).')
@minValue(0)
param workerMinReplicas int = 1

param workerMaxReplicas int = 10

@description('CPU cores and memory of a worker replica (Consumption: up to 4 cores and 8Gi).')
param workerCpu string = '4.0'

param workerMemory string = '8Gi'

@description('Hard memory limit of one engine process (ENGINE_MEMORY_LIMIT_MB); workerProcessesPerReplica of them must fit in workerMemory beside the workers themselves.')
param engineMemoryLimitMb int = 3072

@description('Per-job time limit (BLENDER_TIMEOUT_SECONDS). A stopping worker replica waits up to this long for its running jobs.')
@minValue(10)
param jobTimeoutSeconds int = 300

@description('Seconds an API replica keeps serving after SIGTERM with /ready answering 503 (DRAIN_SECONDS), so the ingress stops sending it requests before its listener closes. Longer than readiness probe period x failure threshold.')
param drainSeconds int = 20

@description('Port of the Prometheus /metrics listener of each replica (METRICS_PORT): on 127.0.0.1 in an API replica (a scraper runs beside it in the replica), on all addresses of a worker replica (its liveness probe; workers have no ingress).')
param metricsPort int = 9100

var prefix = 'cfg-${toLower(environmentName)}'
var suffix = uniqueString(resourceGroup().id, environmentName)
var appPort = 8000
var blobContainerName = 'configurator'
var databaseName = 'configurator'
var readinessPeriodSeconds = 5
// Three failures 5 s apart: a database restart of a few seconds leaves the replicas in rotation
// (each answers 503 problem+json with Retry-After itself meanwhile).
var readinessFailureThreshold = 3
// The supervisor gives its workers BLENDER_TIMEOUT_SECONDS to finish after SIGTERM, then kills them;
// the platform must wait longer than that before it kills the replica (at most 600 s).
var workerGraceSeconds = min(jobTimeoutSeconds + 60, 600)
var apiGraceSeconds = drainSeconds + 60

// Built-in role definitions.
var acrPullRole = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dda-4ed3-4680-a7ca-43fe172d538d')
var keyVaultSecretsUserRole = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')

// -- observability ---------------------------------------------------------------------------------

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${prefix}-logs'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${prefix}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

// -- identity, registry, secrets -------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-identity'
  location: location
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: take('cfg${replace(toLower(environmentName), '-', '')}${suffix}', 50)
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    adminUserEnabled: false
  }
}

resource registryPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, acrPullRole)
  scope: registry
  properties: {
    roleDefinitionId: acrPullRole
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('${prefix}-${suffix}', 24)
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
  }
}

resource vaultRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, keyVaultSecretsUserRole)
  scope: vault
  properties: {
    roleDefinitionId: keyVaultSecretsUserRole
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// -- database --------------------------------------------------------------------------------------

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2022-12-01' = {
  name: '${prefix}-db-${suffix}'
  location: location
  sku: {
    name: postgresSkuName
    tier: postgresSkuTier
  }
  properties: {
    version: '15'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: {
      storageSizeGB: postgresStorageGb
    }
    backup: {
      backupRetentionDays: postgresBackupRetentionDays
      geoRedundantBackup: postgresGeoRedundantBackup ? 'Enabled' : 'Disabled'
    }
    highAvailability: {
      mode: postgresHighAvailability
    }
    authConfig: {
      activeDirectoryAuth: 'Disabled'
      passwordAuth: 'Enabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2022-12-01' = {
  parent: postgres
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// The Container Apps environment has no fixed outbound address without a virtual network:
// admit Azure's own addresses (the special 0.0.0.0 rule); TLS and the password guard the rest.
resource postgresFromAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2022-12-01' = {
  parent: postgres
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

// -- blob storage ----------------------------------------------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: take('cfg${uniqueString(resourceGroup().id, environmentName, 'storage')}', 24)
  location: location
  kind: 'StorageV2'
  sku: {
    name: storageSku
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true // the service signs its read-only SAS URLs with the account key
  }
}

// Browsers fetch GLBs straight from the account with the SAS URLs the API hands out: the web
// origins may GET them (with Range) and read the headers three.js and the viewer look at.
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    cors: {
      corsRules: [
        {
          allowedOrigins: webOrigins
          allowedMethods: [
            'GET'
            'HEAD'
            'OPTIONS'
          ]
          allowedHeaders: [
            '*'
          ]
          exposedHeaders: [
            'Content-Length'
            'Content-Range'
            'Content-Type'
            'Accept-Ranges'
            'ETag'
            'Last-Modified'
          ]
          maxAgeInSeconds: 3600
        }
      ]
    }
    deleteRetentionPolicy: {
      enabled: true
      days: blobSoftDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: blobSoftDeleteDays
    }
  }
}

resource blobContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-01-01' = {
  parent: blobService
  name: blobContainerName
  properties: {
    publicAccess: 'None'
  }
}

// -- secrets in the vault --------------------------------------------------------------------------

resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    value: 'postgresql://${uriComponent(postgresAdminLogin)}:${uriComponent(postgresAdminPassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=require'
  }
}

resource storageConnectionSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'storage-connection-string'
  properties: {
    value: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
  }
}

// Traces go to Application Insights (observability/tracing.py); the string carries its ingestion key.
resource insightsConnectionSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'appinsights-connection-string'
  properties: {
    value: insights.properties.ConnectionString
  }
}

resource smtpUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(smtpUrl)) {
  parent: vault
  name: 'smtp-url'
  properties: {
    value: smtpUrl
  }
}

// What the containers read from the vault, through the identity (refreshed by the platform).
var databaseSecrets = [
  {
    name: 'database-url'
    keyVaultUrl: databaseUrlSecret.properties.secretUri
    identity: identity.id
  }
]
var serviceSecrets = [
  {
    name: 'storage-connection-string'
    keyVaultUrl: storageConnectionSecret.properties.secretUri
    identity: identity.id
  }
  {
    name: 'appinsights-connection-string'
    keyVaultUrl: insightsConnectionSecret.properties.secretUri
    identity: identity.id
  }
]
var mailSecrets = empty(smtpUrl) ? [] : [
  {
    name: 'smtp-url'
    keyVaultUrl: smtpUrlSecret.properties.secretUri
    identity: identity.id
  }
]

// -- environment variables (settings.py names) -----------------------------------------------------

var databaseEnv = [
  {
    name: 'DATABASE_URL'
    secretRef: 'database-url'
  }
]
var serviceEnv = [
  {
    name: 'AZURE_STORAGE_CONNECTION_STRING'
    secretRef: 'storage-connection-string'
  }
  {
    name: 'AZURE_STORAGE_CONTAINER'
    value: blobContainerName
  }
  {
    name: 'LOG_FORMAT'
    value: 'json'
  }
  {
    name: 'BLENDER_TIMEOUT_SECONDS'
    value: string(jobTimeoutSeconds)
  }
  {
    name: 'METRICS_PORT'
    value: string(metricsPort)
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    secretRef: 'appinsights-connection-string'
  }
]
var apiEnv = [
  {
    name: 'HOST'
    value: '0.0.0.0'
  }
  {
    name: 'PORT'
    value: string(appPort)
  }
  {
    name: 'CORS_ORIGINS'
    value: join(webOrigins, ',')
  }
  {
    name: 'PUBLIC_BASE_URL'
    value: empty(publicBaseUrl) ? 'https://${prefix}-api.${environment_.properties.defaultDomain}' : publicBaseUrl
  }
  {
    name: 'FRAME_ANCESTORS'
    value: frameAncestors
  }
  {
    name: 'MAIL_FROM'
    value: mailFrom
  }
  {
    name: 'DRAIN_SECONDS'
    value: string(drainSeconds)
  }
  {
    name: 'INSPECTION_CONCURRENCY'
    value: '1'
  }
]
var mailEnv = empty(smtpUrl) ? [] : [
  {
    name: 'SMTP_URL'
    secretRef: 'smtp-url'
  }
]
var workerEnv = [
  {
    name: 'BLENDER_MAX_CONCURRENT'
    value: string(workerProcessesPerReplica)
  }
  {
    // The worker's only listener is /metrics, served by the supervisor's event loop: its liveness
    // probe (an answer means the supervisor is alive). No ingress: nothing outside the environment reaches it.
    name: 'METRICS_HOST'
    value: '0.0.0.0'
  }
  {
    name: 'ENGINE_MEMORY_LIMIT_MB'
    value: string(engineMemoryLimitMb)
  }
]

var command = [
  'python'
  'server_entry.py'
]

// -- the Container Apps environment and its apps ---------------------------------------------------

resource environment_ 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${prefix}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
  }
}

// Zero-downtime rollout: single revision mode starts the new revision's replicas, moves traffic
// once they pass /ready, then stops the old ones; each gets SIGTERM, answers /ready with 503 for
// DRAIN_SECONDS while it finishes what it serves, then closes its listener.
resource api 'Microsoft.App/containerApps@2024-03-01' = if (deployApps) {
  name: '${prefix}-api'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    environmentId: environment_.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: appPort
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
      secrets: concat(databaseSecrets, serviceSecrets, mailSecrets)
    }
    template: {
      terminationGracePeriodSeconds: apiGraceSeconds
      containers: [
        {
          name: 'api'
          image: image
          command: command
          args: [
            'serve'
            '--role'
            'api'
            '--no-seed'
          ]
          env: concat(databaseEnv, serviceEnv, apiEnv, mailEnv)
          resources: {
            cpu: json(apiCpu)
            memory: apiMemory
          }
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/health'
                port: appPort
              }
              initialDelaySeconds: 5
              periodSeconds: 3
              failureThreshold: 10
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/health'
                port: appPort
              }
              periodSeconds: 10
              timeoutSeconds: 5
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/ready'
                port: appPort
              }
              periodSeconds: readinessPeriodSeconds
              timeoutSeconds: 3
              failureThreshold: readinessFailureThreshold
            }
          ]
        }
      ]
      scale: {
        minReplicas: apiMinReplicas
        maxReplicas: apiMaxReplicas
        rules: [
          {
            name: 'concurrent-requests'
            http: {
              metadata: {
                concurrentRequests: string(apiConcurrentRequests)
              }
            }
          }
        ]
      }
    }
  }
  dependsOn: [
    registryPull
    vaultRead
  ]
}

// Workers have no ingress: they claim jobs from PostgreSQL. KEDA's postgresql scaler runs the
// claimable-jobs count on every poll and asks for count / workerProcessesPerReplica replicas; a
// second rule on the jobs being processed keeps the busy replicas (KEDA takes the larger).
// On scale-in or rollout a replica gets SIGTERM: its supervisor lets each worker finish its job
// (up to BLENDER_TIMEOUT_SECONDS) and exits; the platform waits workerGraceSeconds before a kill.
resource worker 'Microsoft.App/containerApps@2024-03-01' = if (deployApps) {
  name: '${prefix}-worker'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    environmentId: environment_.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
      secrets: concat(databaseSecrets, serviceSecrets)
    }
    template: {
      terminationGracePeriodSeconds: workerGraceSeconds
      containers: [
        {
          name: 'worker'
          image: image
          command: command
          args: [
            'serve'
            '--role'
            'worker'
            '--no-seed'
          ]
          env: concat(databaseEnv, serviceEnv, workerEnv)
          resources: {
            cpu: json(workerCpu)
            memory: workerMemory
          }
          probes: [
            {
              type: 'Liveness'
              httpGet: {
                path: '/metrics'
                port: metricsPort
              }
              initialDelaySeconds: 30
              periodSeconds: 30
              timeoutSeconds: 10
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: workerMinReplicas
        maxReplicas: workerMaxReplicas
        rules: [
          {
            name: 'claimable-jobs'
            custom: {
              type: 'postgresql'
              metadata: {
                query: loadTextContent('keda/claimable_jobs.sql')
                targetQueryValue: string(workerProcessesPerReplica)
                activationTargetQueryValue: '0'
              }
              auth: [
                {
                  secretRef: 'database-url'
                  triggerParameter: 'connection'
                }
              ]
            }
          }
          {
            name: 'processing-jobs'
            custom: {
              type: 'postgresql'
              metadata: {
                query: loadTextContent('keda/processing_jobs.sql')
                targetQueryValue: string(workerProcessesPerReplica)
              }
              auth: [
                {
                  secretRef: 'database-url'
                  triggerParameter: 'connection'
                }
              ]
            }
          }
        ]
      }
    }
  }
  dependsOn: [
    registryPull
    vaultRead
  ]
}

// The schema migration, started by hand (or by the pipeline) with the new image before the apps
// are rolled out to it: `az containerapp job start` (docs/deploy.md, "Rollout").
resource migrate 'Microsoft.App/jobs@2024-03-01' = if (deployApps) {
  name: '${prefix}-migrate'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    environmentId: environment_.id
    workloadProfileName: 'Consumption'
    configuration: {
      triggerType: 'Manual'
      replicaTimeout: 1800
      replicaRetryLimit: 1
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
      secrets: databaseSecrets
    }
    template: {
      containers: [
        {
          name: 'migrate'
          image: image
          command: command
          args: [
            'migrate'
          ]
          env: concat(databaseEnv, [
            {
              name: 'LOG_FORMAT'
              value: 'json'
            }
          ])
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
        }
      ]
    }
  }
  dependsOn: [
    registryPull
    vaultRead
  ]
}

output apiUrl string = deployApps ? 'https://${api.properties.configuration.ingress.fqdn}' : ''
output registryLoginServer string = registry.properties.loginServer
output migrationJobName string = '${prefix}-migrate'
output apiAppName string = '${prefix}-api'
output workerAppName string = '${prefix}-worker'
output keyVaultName string = vault.name
output storageAccountName string = storage.name
output postgresServerName string = postgres.name
output logAnalyticsWorkspaceId string = logs.properties.customerId
output applicationInsightsConnectionString string = insights.properties.ConnectionString
