from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "helpdesk.regions"
    label = "regions"
    verbose_name = "Wilayah"
