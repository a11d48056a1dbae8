from django.apps import AppConfig


class CategoriesConfig(AppConfig):
    name = "helpdesk.categories"
    label = "categories"
    verbose_name = "Kategori"
